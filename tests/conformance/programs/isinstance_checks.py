# isinstance with builtin types, tuples of types, exceptions; type() identity.
def describe(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, (float, complex_free())):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, (list, tuple)):
        return "seq"
    if isinstance(v, dict):
        return "dict"
    if isinstance(v, (set, frozenset)):
        return "set"
    return "other"


def complex_free():
    return float


def main():
    vals = [True, 3, 2.5, "s", [1], (1,), {"a": 1}, {1}, frozenset(), None]
    out = [describe(v) for v in vals]
    out.append(
        [
            isinstance(True, int),
            isinstance(1, bool),
            isinstance(1, float),
            isinstance(ValueError("x"), Exception),
            isinstance(KeyError(), LookupError),
            isinstance(KeyError(), ValueError),
        ]
    )
    out.append(
        [type(1) is int, type("a") == str, type([]) is list, type(True) is bool, type(1.0) is int]
    )
    out.append([type(1).__name__, type(ValueError()).__name__])
    try:
        isinstance(1, 2)
    except TypeError:
        out.append("bad isinstance")
    return out
