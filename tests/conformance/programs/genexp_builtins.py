# Generator expressions consumed by sum/any/all/min/max/sorted/join.
def main():
    nums = [3, -1, 4, -1, 5, -9, 2, 6]
    out = [
        sum(x for x in nums if x > 0),
        sum(x * x for x in range(100)),
        any(x > 5 for x in nums),
        all(x > -10 for x in nums),
        any(x > 100 for x in nums),
        all(x for x in []),
        any([]),
        min(x for x in nums if x > 0),
        max((abs(x), x) for x in nums),
        sorted((x for x in nums), reverse=True),
        "".join(str(abs(x)) for x in nums),
        list(x for x in "abc"),
        tuple(x + 1 for x in range(3)) == (1, 2, 3),
        dict((k, len(k)) for k in ["aa", "b"]),
        set(x % 2 for x in nums) == {0, 1},
        sum(1 for _ in range(7)),
    ]
    return out
