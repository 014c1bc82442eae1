# Matrix operations with nested lists.
def matmul(a, b):
    return [
        [sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
        for i in range(len(a))
    ]


def transpose(m):
    return [list(row) for row in zip(*m)]


def identity(n):
    return [[1 if i == j else 0 for j in range(n)] for i in range(n)]


def mat_pow(m, p):
    result = identity(len(m))
    while p:
        if p & 1:
            result = matmul(result, m)
        m = matmul(m, m)
        p >>= 1
    return result


def determinant(m):
    if len(m) == 1:
        return m[0][0]
    total = 0
    for c in range(len(m)):
        minor = [row[:c] + row[c + 1 :] for row in m[1:]]
        total += (-1) ** c * m[0][c] * determinant(minor)
    return total


def main():
    a = [[1, 2], [3, 4]]
    b = [[5, 6], [7, 8]]
    fibm = mat_pow([[1, 1], [1, 0]], 90)
    return [
        matmul(a, b),
        transpose([[1, 2, 3], [4, 5, 6]]),
        identity(3),
        fibm[0][1],
        determinant([[2, 0, 1], [1, 3, 2], [1, 1, 1]]),
        [[x / 2 for x in row] for row in a],
    ]
