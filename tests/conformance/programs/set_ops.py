# set and frozenset operations; results are sorted for a stable comparison.
def main():
    a = {1, 2, 3, 4}
    b = {3, 4, 5}
    out = [sorted(a | b), sorted(a & b), sorted(a - b), sorted(a ^ b)]
    out.append(
        [
            sorted(a.union([9])),
            sorted(a.intersection(b, {4})),
            sorted(a.difference(b)),
            sorted(a.symmetric_difference(b)),
        ]
    )
    out.append(
        [
            {1, 2} <= a,
            {1, 2} < a,
            a >= {1},
            a.issubset({1, 2, 3, 4, 5}),
            a.issuperset(b),
            a.isdisjoint({7}),
        ]
    )
    s = set()
    s.add(3)
    s.add(3)
    s.update([1, 2], (5,))
    s.discard(100)
    s.remove(1)
    out.append(sorted(s))
    x = s.pop()
    out.append([len(s), x in [2, 3, 5]])
    f = frozenset([1, 2, 2, 3])
    out.append([len(f), 2 in f, sorted(f | {9}), f == {1, 2, 3}, sorted({f: 1}.values())])
    out.append(sorted({x % 3 for x in range(10)}))
    out.append(len(set("mississippi")))
    out.append(set() == set([]))
    try:
        s.remove(99)
    except KeyError as e:
        out.append(str(e))
    return out
