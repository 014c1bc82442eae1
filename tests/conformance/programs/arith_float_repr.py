# Float formatting: repr, str, round (banker's rounding), special values.
def main():
    vals = [0.1 + 0.2, 1 / 3, 1e16, 1e-7, 123456789.0, 2.5, -0.0, 1e300 * 1e10, 3.0, 100.0 / 3]
    out = [repr(v) for v in vals]
    out.append([str(v) for v in vals])
    out.append([round(0.5), round(1.5), round(2.5), round(-0.5), round(-1.5)])
    out.append(
        [round(2.675, 2), round(3.14159, 3), round(1234.5, -2), round(15, -1), round(25, -1)]
    )
    out.append([int(3.9), int(-3.9), float("1.5"), float("inf") > 1e308, int("  42  "), int("-0")])
    out.append(repr(float("nan")))
    out.append([1e22, 1e21 + 1, 5e-324 > 0])
    out.append(str(2**0.5))
    return out
