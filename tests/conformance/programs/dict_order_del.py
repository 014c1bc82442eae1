# Dict insertion order survives updates; del on names, items and slices.
def main():
    d = {}
    for k in ["zeta", "alpha", "mid", "beta"]:
        d[k] = len(k)
    d["alpha"] = 0
    del d["mid"]
    d["mid"] = 1
    out = [list(d), list(d.values())]
    xs = [0, 1, 2, 3, 4, 5]
    del xs[0]
    del xs[-1]
    del xs[::2]
    out.append(xs)
    v = 5
    del v
    try:
        v
    except NameError as e:
        out.append(str(e))
    try:
        del d["nope"]
    except KeyError as e:
        out.append(repr(e))
    nested = {"a": {"b": {"c": 1}}}
    del nested["a"]["b"]["c"]
    out.append(nested)
    return out
