# Slicing strings, lists and tuples, including steps, negatives and assignment.
def main():
    s = "abcdefghij"
    xs = list(range(10))
    out = [
        s[2:5],
        s[:3],
        s[7:],
        s[-3:],
        s[:-3],
        s[::2],
        s[1::3],
        s[::-1],
        s[-2:-6:-1],
        s[100:],
        s[5:2],
        s[-100:2],
    ]
    out.append([xs[1:8:2], xs[::-2], xs[-1], xs[-10], xs[3:3], xs[:0]])
    t = tuple(xs)
    out.append(list(t[2:6]))
    ys = list(range(8))
    ys[2:5] = ["a", "b"]
    out.append(ys[:])
    ys[::2] = [0, 0, 0, 0]
    out.append(ys[:])
    del ys[1:3]
    out.append(ys[:])
    zs = [1, 2, 3]
    zs[len(zs) :] = [4, 5]
    zs[:0] = [0]
    out.append(zs)
    try:
        ys[::2] = [1]
    except ValueError as e:
        out.append(str(e))
    try:
        "abc"[5]
    except IndexError as e:
        out.append(str(e))
    return out
