# min/max forms: several args, one iterable, key=, default=, ties.
def main():
    words = ["pear", "fig", "banana", "kiwi", "apple"]
    out = [
        min(words),
        max(words),
        min(words, key=len),
        max(words, key=len),
        min(3, 1, 2),
        max("hello"),
        min([], default=None),
        max([], default=-1),
        max(words, key=lambda w: w[-1]),
        min([(2, "b"), (1, "z"), (1, "a")]),
        max([1, 5, 5, 2], key=lambda x: -x),
        max(2, 7, key=lambda x: x % 5),
        min({"a": 3, "b": 1, "c": 2}.items(), key=lambda kv: kv[1]),
        max(True, 0.5),
        min([1.5, 1, 2]),
    ]
    try:
        max([])
    except ValueError as e:
        out.append(str(e))
    return out
