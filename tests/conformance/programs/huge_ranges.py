# Ranges longer than sys.maxsize (len() would overflow): loops, iterators, slices.
def main():
    out = []
    for x in range(10**20):
        if x == 3:
            break
    out.append(x)
    for y in range(10**20, 0, -(10**18)):
        if y < 98 * 10**18:
            break
    out.append(y)
    it = iter(range(-(10**20), 0))
    out.append([next(it), next(it)])
    out.append(10**19 in range(10**20))
    out.append(range(10**20)[10**19])
    out.append(list(range(10**20)[5:8]))
    return out
