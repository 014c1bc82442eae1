# Runtime errors raised by builtin operations, with Python's messages.
def attempt(f):
    try:
        f()
        return "ok"
    except Exception as e:
        return [type(e).__name__, str(e)]


def main():
    five = 5
    nothing = None
    return [
        attempt(lambda: 1 / 0),
        attempt(lambda: 1 // 0),
        attempt(lambda: 1 % 0),
        attempt(lambda: 1.0 / 0),
        attempt(lambda: "a" + 1),
        attempt(lambda: 1 + "a"),
        attempt(lambda: [1] * "x"),
        attempt(lambda: len(5)),
        attempt(lambda: int("abc")),
        attempt(lambda: float("x")),
        attempt(lambda: [1, 2].index(9)),
        attempt(lambda: "abc".index("z")),
        attempt(lambda: {}["k"]),
        attempt(lambda: (1, 2)[5]),
        attempt(lambda: undefined_name),
        attempt(lambda: None + 1),
        attempt(lambda: "x".nope),
        attempt(lambda: [3, "a"].sort()),
        attempt(lambda: {[1]: 2}),
        attempt(lambda: chr(-1)),
        attempt(lambda: hash([])),
        attempt(lambda: five()),
        attempt(lambda: nothing[0]),
        attempt(lambda: 2**10000 * 1.0),
    ]
