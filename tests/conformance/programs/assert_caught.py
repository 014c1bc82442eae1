# assert raises AssertionError with the message; caught and inspected.
def check(x):
    assert x > 0, "x must be positive, got " + str(x)
    assert x != 5
    return x


def main():
    out = [check(3)]
    for v in [-1, 5]:
        try:
            check(v)
        except AssertionError as e:
            out.append([str(e), len(e.args)])
    return out
