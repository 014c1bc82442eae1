# Iterators passed to any, all, zip, map and dict(): pulled as far as Python pulls them.
def main():
    out = []
    it = iter([0, 0, 1, 2, 3])
    out.append([any(it), list(it)])
    it = iter([1, 2, 3, 4, 5])
    out.append([list(zip(range(2), it)), list(it)])
    it = iter(["k1", "v1", "k2", "v2"])
    out.append(dict(zip(it, it)))
    out.append(list(zip(*[iter([1, 2, 3, 4])] * 2)))
    out.append(list(zip(range(10**12), "ab")))
    it = iter([1, 0, 3])
    out.append([all(it), list(it)])
    out.append(list(map(lambda a, b: a * b, iter([1, 2, 3]), [10, 20])))
    for args in [([1, 2], [1]), ([1], [1, 2]), ([1], [1], [1, 2]), ([1, 2], [1, 2], [1])]:
        try:
            out.append(list(zip(*args, strict=True)))
        except ValueError as e:
            out.append(str(e))
    a, b = iter(range(2))
    out.append([a, b])
    try:
        x, y = iter(range(5))
    except ValueError as e:
        out.append(str(e))
    return out
