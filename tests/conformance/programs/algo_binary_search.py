# Binary search variants and bisect-like helpers.
def bisect_left(xs, x):
    lo, hi = 0, len(xs)
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def search(xs, x):
    i = bisect_left(xs, x)
    return i if i < len(xs) and xs[i] == x else -1


def isqrt(n):
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid * mid <= n:
            lo = mid
        else:
            hi = mid - 1
    return lo


def main():
    xs = [1, 3, 3, 5, 8, 13, 21]
    return [
        [search(xs, v) for v in [1, 3, 4, 21, 22, 0]],
        [bisect_left(xs, v) for v in [0, 3, 6, 100]],
        isqrt(10**20 + 12345),
        isqrt(99),
    ]
