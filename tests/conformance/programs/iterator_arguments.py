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
    it = iter([1, 2, 3, 4])
    try:
        x, y = it
    except ValueError:
        out.append(list(it))  # unpacking took one more than it needed, no further
    big = iter(range(10**7))
    out.append([big == big, big is None, 0 != big, 3 in big, next(big)])
    out.append([any(range(10**7)), all(range(1, 10**3)), 10**5 in iter(range(10**12))])
    out.append(list(zip(range(10**20), range(3))))
    ys = [1, 2]
    ys.extend(iter([3, 4]))
    ys += iter([5])
    out.append(ys)
    return out
