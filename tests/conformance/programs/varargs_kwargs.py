# *args and **kwargs in definitions and calls.
def collect(*args, **kwargs):
    return [list(args), kwargs]


def head_tail(first, *rest):
    return [first, list(rest)]


def apply(f, *args, **kwargs):
    return f(*args, **kwargs)


def main():
    out = [
        collect(),
        collect(1, 2),
        collect(a=1),
        collect(1, b=2, c=3),
        head_tail(1),
        head_tail(1, 2, 3),
    ]
    out.append(apply(collect, 1, key="v"))
    out.append(apply(max, 3, 9, 4))
    opts = {"sep": "-"}
    out.append(apply("{}{sep}{}".format, "a", "b", **opts))
    t = (1, 2)
    out.append(collect(*t, *t, **{"x": 1}, **{"y": 2}))
    try:
        collect(**{"a": 1}, a=2)
    except TypeError as e:
        out.append("dup")
    return out
