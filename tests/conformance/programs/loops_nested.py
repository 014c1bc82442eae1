# Nested loops with break/continue, loop variables after loops, range forms.
def main():
    out = []
    for i in range(5):
        if i == 1:
            continue
        for j in range(5):
            if j > i:
                break
            if (i + j) % 3 == 0:
                continue
            out.append([i, j])
    out.append(
        [
            list(range(0)),
            list(range(3, 0, -1)),
            list(range(-5, 5, 3)),
            list(range(10, 0, -4)),
            len(range(0, 100, 7)),
            49 in range(0, 100, 7),
            range(5)[-1],
            list(range(10)[2:8:2]),
        ]
    )
    total = 0
    k = 0
    while True:
        k += 1
        if k % 2 == 0:
            continue
        total += k
        if k > 10:
            break
    out.append([total, k])
    xs = [1, 2, 3]
    for x in xs:
        if x == 1:
            xs.append(4)
    out.append(xs)
    return out
