# Bitwise operators, shifts, hex/bin/oct.
def main():
    a = 0b1100
    b = 0b1010
    out = [a & b, a | b, a ^ b, ~a, a << 3, a >> 2, -16 >> 2, 1 << 70]
    out.append([bin(a), hex(255), oct(8), bin(-5), hex(-255)])
    out.append([(255).bit_length(), (0).bit_length(), (-8).bit_length()])
    flags = 0
    for bit in [0, 3, 5]:
        flags |= 1 << bit
    out.append([flags, bool(flags & 8), bool(flags & 4)])
    return out
