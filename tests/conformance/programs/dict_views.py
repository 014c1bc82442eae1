# dict.keys(), .values() and .items() are live views: they follow the dict, compare and
# combine like sets, and show themselves as Python does (cycles included).
def main():
    d = {"a": 1, "b": 2}
    k, v, i = d.keys(), d.values(), d.items()
    d["c"] = 3
    out = [repr(k), repr(v), repr(i), str(k), len(k), "c" in k, ("a", 1) in i, 3 in v]
    out.append(sorted(k & {"a", "z"}))
    out.append(sorted(k | {"z"}))
    out.append(sorted(k - {"a"}))
    out.append(sorted(k ^ {"a", "q"}))
    out.append(sorted({"a", "q"} - k))
    out.append(k == {"a", "b", "c"})
    out.append(i == {("a", 1), ("b", 2), ("c", 3)})
    out.append(v == v)
    out.append(list(reversed(k)))
    out.append(list(zip(k, v)))
    out.append(sum(v))
    out.append(max(d.values()))
    out.append(f"{k}")
    out.append(bool({}.keys()))
    out.append(k <= {"a", "b", "c", "d"})
    try:
        for key in k:
            d["x" + key] = 0
    except RuntimeError as e:
        out.append(str(e))
    try:
        hash(k)
    except TypeError as e:
        out.append(str(e))
    try:
        k[0]
    except TypeError as e:
        out.append(str(e))
    cyc = {}
    cyc["v"] = cyc.values()
    out.append(repr(cyc))
    e = {"a": 1}
    e["k"] = e.keys()
    out.append(repr(e))
    f = {}
    f["i"] = f.items()
    out.append(repr(f))
    out.append(isinstance(k, list))
    return out
