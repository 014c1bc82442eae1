# str.format with positional, keyword, index, and nested specs.
def main():
    out = [
        "{} and {}".format("a", "b"),
        "{1} {0} {1}".format("x", "y"),
        "{name} is {age}".format(name="Bo", age=9),
        "{0[1]} {d[key]}".format([10, 20], d={"key": "val"}),
        "{:>{w}}|{:.{p}f}".format("r", 2.71828, w=6, p=2),
        "{!r} {!s}".format("s", "s"),
        "{:,}".format(10**9),
        "{{}} {}".format(1),
        "{0:^9}|{0:*<4}".format("ab"),
    ]
    try:
        "{} {}".format(1)
    except IndexError as e:
        out.append("IndexError")
    try:
        "{missing}".format()
    except KeyError as e:
        out.append(str(e))
    return out
