# Floor division and modulo with negative operands follow Python, not C.
def main():
    out = []
    for a in [7, -7, 0, 13, -13]:
        for b in [2, -2, 5, -5]:
            out.append([a // b, a % b, divmod(a, b)])
    out.append([7.5 // 2, -7.5 // 2, 7.5 % 2, -7.5 % 2, -7.5 % -2])
    out.append([divmod(-7.5, 2)])
    return out
