# sorted() and list.sort() with key and reverse; stability.
def main():
    people = [("ann", 31), ("bob", 25), ("cy", 31), ("dee", 25), ("eve", 40)]
    out = [
        sorted(people, key=lambda p: p[1]),
        sorted(people, key=lambda p: p[1], reverse=True),
        sorted(people, key=lambda p: (-p[1], p[0])),
        sorted(["b", "A", "c", "B"]),
        sorted(["b", "A", "c", "B"], key=str.lower),
        sorted("hello"),
        sorted({3: "c", 1: "a"}),
        sorted([3, 1, 2], reverse=True),
        sorted(["aa", "b", "ccc"], key=len, reverse=True),
    ]
    xs = [5, 2, 9, 1]
    xs.sort(key=lambda v: v % 3)
    out.append(xs)
    words = "the quick brown fox jumps over the lazy dog".split()
    words.sort(key=len)
    out.append(words)
    try:
        sorted([1, "a"])
    except TypeError as e:
        out.append(str(e))
    return out
