# zip, enumerate and reversed, wrapped in list() or iterated.
def main():
    a = [1, 2, 3]
    b = "abcd"
    out = [
        list(zip(a, b)),
        list(zip()),
        list(zip(a, b, [True, False])),
        list(enumerate(b)),
        list(enumerate(b, start=10)),
        list(reversed(a)),
        list(reversed("abc")),
        list(reversed(range(4))),
    ]
    pairs = []
    for i, (x, y) in enumerate(zip(a, b)):
        pairs.append(f"{i}:{x}{y}")
    out.append(pairs)
    out.append(dict(zip(b, a)))
    cols = list(zip(*[[1, 2, 3], [4, 5, 6]]))
    out.append([list(c) for c in cols])
    out.append([x for x in reversed({"k1": 1, "k2": 2})])
    return out
