# Scoping, nested handlers, formatting and repr corner cases.
def gen_closure():
    fs = {}
    for name in ["a", "b"]:

        def f(name=name):
            return name * 2

        fs[name] = f
    return [fs["a"](), fs["b"]()]


def main():
    out = [gen_closure()]
    try:
        raise KeyError("k")
    except KeyError as e:
        try:
            raise ValueError("v")
        except ValueError as e2:
            out.append([str(e), str(e2)])

    def outer():
        x = []

        def inner():
            x.append(len(x))
            return x

        return inner

    g = outer()
    g()
    out.append(g())
    a, b, *c = "hello"
    out.append([a, b, c])
    [p, q] = [1, 2]
    out.append(p + q)
    out.append(", ".join(f"{k}={v!r}" for k, v in {"x": "1", "y": 2}.items()))
    out.append(f"{3.0:g} {1234.5:,.1f} {'x':^5} {12:#o} {0.5:.0%}")
    out.append("{:>8.3}".format("abcdef"))
    out.append(len({1: 2, True: 3, 1.0: 4}))
    out.append({1: "a", True: "b"})
    out.append(str([1.0, 2.5e-5, None, "q", ("t",)]))
    out.append(repr({"a": [1, {2}]}))
    out.append(sum([0.1] * 10))
    out.append(abs(-0.0))
    out.append(bool("False"))
    out.append([i for i in range(20) if i % 3 == 0 if i % 2 == 0])
    out.append(all([]) and not any([]))
    return out
