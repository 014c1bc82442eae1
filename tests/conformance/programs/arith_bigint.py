# Integers are unbounded.
def factorial(n):
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result


def main():
    f = factorial(50)
    big = 2**200
    return [
        str(f),
        len(str(f)),
        str(big),
        str(big // 3),
        str(-big % 1000007),
        str(big * big - 1),
        sum(int(d) for d in str(f)),
        big.bit_length(),
        str(pow(3, 200, 10**9 + 7)),
        str(-(2**100) // 7),
        (2**64) == 18446744073709551616,
    ]
