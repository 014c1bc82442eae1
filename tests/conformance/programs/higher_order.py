# Functions as values: passing, returning, storing, reducing by hand.
def reduce(f, xs, init):
    acc = init
    for x in xs:
        acc = f(acc, x)
    return acc


def pipeline(*fs):
    def run(x):
        for f in fs:
            x = f(x)
        return x

    return run


def memo_calls():
    calls = []

    def traced(f):
        def wrapper(*args):
            calls.append(args)
            return f(*args)

        return wrapper

    square = traced(lambda x: x * x)
    return [square(3), square(4), calls]


def main():
    p = pipeline(str.strip, str.upper, lambda s: s + "!")
    return [
        reduce(lambda a, b: a + b, range(10), 0),
        reduce(lambda a, b: a * b, [1, 2, 3, 4], 1),
        reduce(lambda acc, w: acc + [len(w)], ["a", "bb"], []),
        p("  hi "),
        memo_calls(),
        callable(len),
        callable(p),
        callable(3),
    ]
