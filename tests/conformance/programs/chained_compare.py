# Chained comparisons evaluate each operand once and short-circuit.
def main():
    calls = []

    def v(x):
        calls.append(x)
        return x

    out = [1 < 2 < 3, 1 < 3 < 2, 3 > 2 > 1 > 0, 1 == 1 < 2, 1 < 2 == 2 != 3, "a" < "b" <= "b"]
    out.append(v(1) < v(0) < v(5))
    out.append(calls[:])
    out.append(v(1) < v(2) < v(3))
    out.append(calls)
    x = 5
    out.append([0 <= x < 10, x in [5] in [[5]], x is not None, None is None, not x == 6, 1 < x > 4])
    return out
