# Mutating a collection while iterating it behaves as in Python; augmented assignment evaluates its target once.
def main():
    out = []
    xs = [1, 2, 2, 3, 4, 4, 5]
    for x in xs:
        if x % 2 == 0:
            xs.remove(x)
    out.append(xs)
    d = {"a": 1, "b": 2}
    try:
        for k in d:
            d[k + "x"] = 1
    except RuntimeError as e:
        out.append(str(e))
    s = {1, 2}
    try:
        for v in s:
            s.add(v + 10)
    except RuntimeError as e:
        out.append(str(e))
    m = [[0, 0], [0, 0]]
    i = 0

    def idx():
        nonlocal i
        i += 1
        return i - 1

    m[idx()][idx()] += 5
    out.append([m, i])
    cnt = {}
    for w in "a b a".split():
        cnt[w] = cnt.get(w, 0) + 1
    cnt["a"] += 10
    out.append(cnt)
    out.append(-(2**2))
    out.append(1 if False else 2 if False else 3)
    out.append(not 1 == 2)
    out.append([x for x in range(3) if x] or "empty")
    return out
