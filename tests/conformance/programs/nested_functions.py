# Nested functions: defaults from the enclosing scope, recursion through a closure, shadowing.
def make_counter_family():
    base = 100

    def make(step=1, start=base):
        value = [start]

        def tick():
            value[0] += step
            return value[0]

        return tick

    return make


def main():
    make = make_counter_family()
    a = make()
    b = make(step=5, start=0)
    a()
    a()
    b()

    def walk(tree, depth=0):
        if isinstance(tree, list):
            return max([walk(t, depth + 1) for t in tree], default=depth)
        return depth

    x = "outer"

    def shadow():
        x = "inner"
        return x

    def read():
        return x

    return [a(), b(), walk([1, [2, [3, [4]]], []]), walk(5), shadow(), read(), x]
