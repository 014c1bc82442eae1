# iter() and next(), and the one-shot iterators that map, filter, zip, enumerate
# and reversed return: a second pass over one sees nothing.
def take(it, n):
    out = []
    for x in it:
        out.append(x)
        if len(out) == n:
            break
    return out


def main():
    out = []
    it = iter([1, 2, 3, 4, 5])
    out.append(next(it))
    out.append(take(it, 2))  # a for loop over an iterator goes on where next() left it
    out.append(list(it))
    out.append(next(it, "done"))
    try:
        next(it)
    except StopIteration as e:
        out.append(("StopIteration", e.args))
    squares = map(lambda x: x * x, range(4))
    out.append(list(squares))
    out.append(list(squares))
    pairs = zip("ab", [1, 2])
    out.append(dict(pairs))
    out.append(dict(pairs))
    odd = filter(lambda x: x % 2, range(7))
    out.append([next(odd), sum(odd)])
    rev = reversed("xyz")
    out.append("".join(rev) + "|" + "".join(rev))
    numbered = enumerate("pq", 1)
    out.append(next(numbered))
    out.append(list(numbered))
    out.append(sorted(iter({3, 1, 2})))
    keys = iter({"a": 1, "b": 2})
    out.append([next(keys), next(keys), next(keys, None)])
    out.append(list(zip(*map(str, [12, 34]))))
    out.append(next(x for x in range(10) if x * x > 20))
    out.append(next((x for x in [] if x), "none found"))
    evens = (x for x in range(7) if x % 2 == 0)
    out.append([next(evens), list(evens), list(evens)])
    try:
        len(zip([1], [2]))
    except TypeError:
        out.append("no len")
    try:
        next([1, 2])
    except TypeError:
        out.append("a list is not an iterator")
    try:
        iter(5)
    except TypeError:
        out.append("an int is not iterable")
    d = {"x": 1}
    walking = iter(d)
    d["y"] = 2
    try:
        next(walking)
    except RuntimeError as e:
        out.append(str(e))
    return out
