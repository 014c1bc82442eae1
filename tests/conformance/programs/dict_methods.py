# dict methods; keys()/values()/items() are wrapped in list() so both languages agree.
def main():
    d = {"b": 2, "a": 1}
    d["c"] = 3
    d["b"] = 20
    out = [list(d.keys()), list(d.values()), list(d.items()), len(d), "a" in d, 2 in d]
    out.append(
        [d.get("a"), d.get("zz"), d.get("zz", 0), d.setdefault("a", 100), d.setdefault("n", [])]
    )
    d["n"].append(1)
    d.update({"x": 9}, y=8)
    d.update([("z", 7)])
    out.append(list(d.items()))
    out.append([d.pop("x"), d.pop("nope", "dflt"), d.popitem(), list(d)])
    e = d.copy()
    e["new"] = 1
    out.append([len(d), len(e), "new" in d])
    del e["new"]
    out.append(e == d)
    out.append(dict.fromkeys(["p", "q"], 0))
    out.append(dict(zip(["k1", "k2"], [1, 2])))
    out.append(dict([("a", 1)], b=2))
    out.append({**{"a": 1}, "b": 2, **{"a": 3}})
    counts = {}
    for ch in "abracadabra":
        counts[ch] = counts.get(ch, 0) + 1
    out.append(counts)
    inv = {v: k for k, v in counts.items()}
    out.append(inv)
    d.clear()
    out.append(d)
    try:
        d.popitem()
    except KeyError as e:
        out.append(str(e))
    return out
