# f-strings: expressions, conversions, nested quotes, braces.
def main():
    name = "World"
    n = 42
    items = [1, 2, 3]
    d = {"k": "v"}
    out = [
        f"Hello, {name}!",
        f"{n + 1} {n * 2} {n // 5}",
        f"{name!r} {name!s} {name!a}",
        f"{'é'!a}",
        f"{items} {items[1]} {d['k']} {len(items)}",
        f"{{literal}} {n}",
        f"{'yes' if n > 40 else 'no'}",
        f"{[x * 2 for x in items]}",
        f"{name.upper()}-{name.lower()}",
        f"{None} {True} {3.0} {1e20} {-0.5}",
        f"a{''}b",
        f"""triple {n}""",
        f"{(1, 2)} {{}}",
    ]
    return out
