# finally across recursive frames, numeric corner cases, in-place operators on shared values.
def f(log, n):
    try:
        if n == 0:
            raise ValueError("bottom")
        return f(log, n - 1)
    finally:
        log.append(n)


def main():
    log = []
    try:
        f(log, 3)
    except ValueError as e:
        log.append(str(e))
    out = [log]
    text = "hello"
    out.append([c for c in text if c in "aeiou"])
    out.append({c: text.count(c) for c in sorted(set(text))})
    out.append("%s" % None)
    out.append("%.2f%%" % 12.345)
    out.append(str(1e16) + str(1.0) + str(-0.0))
    out.append([1, 2, 3][-1:-4:-1])
    out.append(list(range(10))[::-3])
    out.append(round(-2.5))
    out.append(7 // -2.0)
    out.append(divmod(7.5, -2))
    out.append(float("-inf") < -1e308)
    out.append(10**20 / 3)
    out.append(int(1e20))
    out.append(0.1 * 3 == 0.3)
    out.append(sorted([3, 1, 2], key=lambda x: -x))
    out.append(isinstance(1, (str, (int, float))))
    out.append(max([[1, 2], [1, 3], [0, 9]]))
    x = [1]
    y = x
    x += [2]
    out.append(y)
    t = (1,)
    u = t
    t += (2,)
    out.append([list(t), list(u)])
    s = "ab"
    s += "c"
    out.append(s)
    return out
