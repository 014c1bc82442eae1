# Integer arithmetic: precedence, unary ops, augmented assignment.
def main():
    a = 7
    b = 3
    out = [a + b, a - b, a * b, a / b, a // b, a % b, a**b, -a, +a, ~a]
    out.append(2 + 3 * 4**2 - 1)
    out.append((2 + 3) * 4)
    out.append(-(2**2))
    out.append(2**-1)
    out.append(2**3**2)
    x = 10
    x += 5
    x -= 3
    x *= 2
    x //= 5
    x **= 3
    x %= 7
    out.append(x)
    out.append(1_000_000 + 0x1F + 0o17 + 0b101)
    out.append(True + True)
    out.append(abs(-12) + abs(3))
    return out
