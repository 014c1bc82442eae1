# Unpacking: tuples, starred targets, nested, in for loops, in calls and literals.
def f(a, b, c=0, *rest, **kw):
    return [a, b, c, list(rest), sorted(kw.items())]


def main():
    a, *b = [1, 2, 3]
    *c, d = "xyz"
    e, *f_, g = range(5)
    h, *i = [1]
    out = [a, b, c, d, e, f_, g, h, i]
    for k, (m, n) in [(1, (2, 3)), (4, (5, 6))]:
        out.append(k + m + n)
    args = [1, 2, 3, 4]
    kwargs = {"x": 1, "y": 2}
    out.append(f(*args, **kwargs))
    out.append(f(0, *[1], z=5))
    out.append([*range(3), *"ab", 9])
    out.append({*[1, 1, 2]} == {1, 2})
    first, second = "ab"
    out.append(first + second)
    x = y = [0]
    x.append(1)
    out.append(y)
    try:
        p, q = [1, 2, 3]
    except ValueError as err:
        out.append(str(err))
    try:
        p, q, r = [1, 2]
    except ValueError as err:
        out.append(str(err))
    return out
