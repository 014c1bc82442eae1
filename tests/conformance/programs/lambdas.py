# Lambdas: defaults, closures, immediate calls, in data structures.
def main():
    ops = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "pow": lambda a, b=2: a**b,
    }
    out = [ops["add"](2, 3), ops["sub"](2, 3), ops["pow"](3), ops["pow"](2, 10)]
    out.append((lambda: "called")())
    out.append((lambda *a, **k: [len(a), sorted(k)])(1, 2, z=1))
    make_mul = lambda n: lambda x: x * n
    triple = make_mul(3)
    out.append([triple(4), make_mul(0)(9)])
    out.append(list(map(lambda s: s[::-1], ["ab", "cd"])))
    out.append(sorted(["x10", "x9", "x100"], key=lambda s: int(s[1:])))
    fact = lambda n: 1 if n <= 1 else n * fact(n - 1)
    out.append(fact(10))
    return out
