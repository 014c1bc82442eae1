# KeyError's str is the repr of its key; other exceptions use str.
def main():
    out = []
    d = {"a": 1}
    for key in ["missing", 7, ("t", 1), "it's"]:
        try:
            d[key]
        except KeyError as e:
            out.append([str(e), repr(e), e.args[0] == key])
    e = KeyError("a", "b")
    out.append(str(e))
    out.append(str(KeyError()))
    try:
        [1, 2][5]
    except IndexError as e:
        out.append(str(e))
    try:
        {}.pop("x")
    except LookupError as e:
        out.append(str(e))
    return out
