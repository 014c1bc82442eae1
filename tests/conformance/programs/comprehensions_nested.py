# Nested comprehensions: flattening, matrices, multiple for/if clauses.
def main():
    m = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    out = [
        [v for row in m for v in row],
        [[row[i] for row in m] for i in range(3)],
        [(a, b) for a in range(4) for b in range(a) if (a + b) % 2],
        [[x * y for y in range(1, 4)] for x in range(1, 4)],
        {i: [j for j in range(i)] for i in range(4)},
        [v for row in m if sum(row) > 6 for v in row if v % 2],
        sum([[1], [2, 3], []], []),
    ]
    return out
