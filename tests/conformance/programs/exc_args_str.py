# Exception args, str() and repr() for zero, one and many arguments.
def main():
    cases = [
        ValueError(),
        ValueError("msg"),
        ValueError("a", 2),
        ValueError(42),
        ValueError(["x"]),
        RuntimeError(None),
        TypeError(""),
        Exception("e", ("t",)),
    ]
    out = []
    for e in cases:
        out.append([str(e), repr(e), list(e.args)])
    out.append(str(ZeroDivisionError("x")))
    out.append(isinstance(ValueError("v"), Exception))
    out.append(isinstance(KeyError("k"), (ValueError, LookupError)))
    return out
