# list methods, aliasing, and in-place operators.
def main():
    xs = [5, 3, 8]
    ys = xs
    xs.append(1)
    xs.extend([9, 2])
    xs.insert(0, 7)
    xs.insert(-1, 4)
    xs.insert(100, 0)
    out = [xs[:], ys is xs, len(ys)]
    out.append([xs.pop(), xs.pop(0), xs.pop(-2), xs[:]])
    xs.remove(8)
    out.append([xs[:], xs.index(9), xs.count(3), 3 in xs, 42 not in xs])
    xs.sort()
    out.append(xs[:])
    xs.sort(reverse=True)
    out.append(xs[:])
    xs.reverse()
    out.append(xs[:])
    c = xs.copy()
    c.clear()
    out.append([c, xs[:]])
    zs = [1, 2]
    zs += [3]
    zs *= 2
    out.append(zs)
    grid = [[0] * 3 for _ in range(2)]
    grid[0][1] = 5
    shared = [[0] * 2] * 2
    shared[0][0] = 9
    out.append([grid, shared])
    out.append([[1, 2] + [3], [1, 2] * 0, [1, 2] == [1, 2], [1, 2] < [1, 3], [1, 2] < [1, 2, 0]])
    try:
        xs.remove(12345)
    except ValueError as e:
        out.append(str(e))
    try:
        [].pop()
    except IndexError as e:
        out.append(str(e))
    return out
