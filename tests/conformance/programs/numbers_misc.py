# Numeric literal forms, int/float interplay, comparisons across types.
def main():
    out = [0x_FF, 0o_17, 0b_1010, 1_000.5, 1e3, 1e-3, 0.5, 5.0, 0.0 == -0.0]
    out.append(
        [
            1 == 1.0,
            2 < 2.5,
            True == 1,
            False < True,
            3 // 2.0,
            3 % -2.5,
        ]
    )
    out.append([int(-7 / 2), -7 // 2, round(-7 / 2), abs(-7) // 2])
    out.append([max(1, 2.0), min(-0.0, 0), sum([0.5, 0.25], 1)])
    out.append([float("1e500"), -float("1e500"), float("-0")])
    out.append([hex(2**64), oct(-64), bin(0), int("-0b101", 0), int("0o17", 0), int(" 12 ")])
    out.append([(7).bit_length(), (2.5).is_integer(), (3.0).is_integer()])
    out.append([divmod(-9, 4), divmod(9, -4), -9 % 4, 9 % -4])
    return out
