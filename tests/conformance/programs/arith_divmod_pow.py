# divmod, pow with modulus, int() with bases, numeric conversions.
def main():
    out = [divmod(17, 5), divmod(-17, 5), divmod(17, -5), divmod(0, 3)]
    out.append([pow(2, 10), pow(2, 10, 1000), pow(7, 0), pow(2, -2)])
    out.append([int("ff", 16), int("777", 8), int("1010", 2), int("z", 36), int("0x1f", 16)])
    out.append([float(7), int(True), bool(0), bool(0.0), bool(-1)])
    out.append([min(3, 1, 2), max(3, 1, 2), abs(-2.5), sum([1, 2, 3], 10)])
    out.append([10 / 4, 10 // 4, 10 % 4, -10 / 4, 2**0.5 * 2**0.5])
    return out
