# and/or return operands, not booleans; conditional expressions.
def main():
    log = []

    def t(x):
        log.append(x)
        return x

    out = [
        0 or "default",
        "" or [] or None,
        "a" and "b",
        0 and 1 / 0,
        1 or 1 / 0,
        None and 1,
        [] or {},
        3 and 0 and 5,
    ]
    out.append(t(0) and t(1))
    out.append(t(2) or t(3))
    out.append(t(4) and t(5) or t(6))
    out.append(log)
    out.append(not 0)
    out.append(not [1])
    out.append(1 if [] else 2)
    x = None
    out.append(x.upper() if x else "none")
    name = ""
    out.append(name or "anonymous")
    return out
