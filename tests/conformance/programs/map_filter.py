# map and filter, wrapped in list() (Flowmetal returns lists; Python returns iterators).
def main():
    nums = [1, 2, 3, 4, 5, 6]
    return [
        list(map(str, nums)),
        list(map(lambda a, b: a * b, nums, [10, 20, 30])),
        list(filter(lambda x: x % 2 == 0, nums)),
        list(filter(None, [0, 1, "", "a", None, [], [0]])),
        list(map(len, ["a", "bb", ""])),
        sum(map(int, "12345")),
        sorted(map(abs, [-3, 1, -2])),
        [x for x in map(lambda t: t[0], [(1, 2), (3, 4)])],
        list(map(str.upper, "abc")),
    ]
