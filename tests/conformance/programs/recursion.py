# Recursion: fib, hanoi, ackermann (small), mutual recursion, permutations.
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def hanoi(n, src, dst, via, moves):
    if n == 0:
        return moves
    hanoi(n - 1, src, via, dst, moves)
    moves.append(src + dst)
    hanoi(n - 1, via, dst, src, moves)
    return moves


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


def perms(xs):
    if len(xs) <= 1:
        return [xs]
    out = []
    for i in range(len(xs)):
        for p in perms(xs[:i] + xs[i + 1 :]):
            out.append([xs[i]] + p)
    return out


def main():
    return [
        [fib(i) for i in range(15)],
        fib(20),
        hanoi(4, "A", "C", "B", []),
        is_even(50),
        is_odd(7),
        ackermann(2, 3),
        perms([1, 2, 3]),
    ]
