# list/dict/set comprehensions with conditions; comprehension scope.
def main():
    xs = range(10)
    out = [
        [x * x for x in xs],
        [x for x in xs if x % 2 == 0],
        [x if x % 2 else -x for x in xs],
        {x: x * x for x in xs if x > 6},
        sorted({c for c in "hello world" if c.isalpha()}),
        [c.upper() for c in "abc"],
        [(i, c) for i, c in enumerate("ab")],
        [k + "=" + str(v) for k, v in {"a": 1, "b": 2}.items()],
    ]
    x = "outer"
    ys = [x for x in range(3)]
    out.append([x, ys])
    funcs = [lambda: i for i in range(3)]
    out.append([f() for f in funcs])
    funcs2 = [lambda i=i: i for i in range(3)]
    out.append([f() for f in funcs2])
    return out
