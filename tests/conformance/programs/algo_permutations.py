# Combinatorics without itertools: combinations, power set, n-queens.
def combinations(xs, k):
    if k == 0:
        return [[]]
    if len(xs) < k:
        return []
    first, rest = xs[0], xs[1:]
    return [[first] + c for c in combinations(rest, k - 1)] + combinations(rest, k)


def power_set(xs):
    result = [[]]
    for x in xs:
        result += [s + [x] for s in result]
    return result


def queens(n):
    solutions = []

    def place(row, cols, diag1, diag2, board):
        if row == n:
            solutions.append(board[:])
            return
        for c in range(n):
            if c in cols or row + c in diag1 or row - c in diag2:
                continue
            board.append(c)
            place(row + 1, cols | {c}, diag1 | {row + c}, diag2 | {row - c}, board)
            board.pop()

    place(0, set(), set(), set(), [])
    return solutions


def main():
    return [
        combinations([1, 2, 3, 4], 2),
        len(power_set(list(range(5)))),
        power_set(["a", "b"]),
        len(queens(6)),
        queens(5)[0],
    ]
