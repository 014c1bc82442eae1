# tuples: packing, comparison, hashing as dict keys, methods.
def main():
    t = (3, 1, 4, 1, 5)
    single = (7,)
    empty = ()
    out = [list(t), t.count(1), t.index(4), len(single), len(empty), t[1:3] == (1, 4)]
    out.append([(1, 2) < (1, 3), (1, 2) < (1, 2, 0), (2,) > (1, 9), (1, "a") == (1, "a")])
    pts = {(0, 0): "origin", (1, 2): "p"}
    out.append([pts[(1, 2)], (0, 0) in pts, sorted(pts)])
    out.append(list(t + (9,)))
    out.append(list((1, 2) * 2))
    a, b = 1, 2
    a, b = b, a
    out.append([a, b])
    nested = ((1, 2), (3, (4, 5)))
    (p, q), (r, (s, u)) = nested
    out.append([p, q, r, s, u])
    out.append(hash((1, 2)) == hash((1, 2)))
    try:
        t[0] = 1
    except TypeError as e:
        out.append(str(e))
    return out
