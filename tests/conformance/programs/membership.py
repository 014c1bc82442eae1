# in / not in / is across every container kind.
def main():
    d = {"a": 1, "b": 2}
    out = [
        "a" in d,
        1 in d,
        1 in d.values(),
        ("a", 1) in d.items(),
        "ell" in "hello",
        "" in "",
        "x" not in "abc",
        3 in [1, 2, 3],
        [1] in [[1], [2]],
        2 in (1, 2),
        5 in {5, 6},
        5 in range(10),
        10 in range(10),
        4 in range(0, 10, 2),
        5 in range(0, 10, 2),
        None is None,
        True,
    ]
    a = [1]
    b = a
    c = [1]
    out.append([a is b, a == c, a is not c, a is c])
    return out
