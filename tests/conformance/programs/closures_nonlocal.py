# nonlocal counters and shared cells between sibling closures.
def counter(start=0):
    count = start

    def incr(step=1):
        nonlocal count
        count += step
        return count

    def get():
        return count

    return incr, get


def accumulate():
    total = 0
    history = []

    def add(x):
        nonlocal total
        total = total + x
        history.append(total)
        return total

    return add, history


def main():
    incr, get = counter(10)
    incr()
    incr(5)
    other_incr, other_get = counter()
    other_incr()
    add, history = accumulate()
    for v in [1, 2, 3]:
        add(v)

    def deep():
        level = 0

        def one():
            def two():
                nonlocal level
                level += 1
                return level

            return two()

        one()
        one()
        return level

    return [get(), other_get(), history, deep()]
