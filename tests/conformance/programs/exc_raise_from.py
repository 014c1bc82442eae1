# raise ... from ..., and raising classes versus instances.
def parse(text):
    try:
        return int(text)
    except ValueError as e:
        raise KeyError("not a number: " + text) from e


def main():
    out = []
    try:
        parse("x1")
    except KeyError as e:
        out.append([type(e) is KeyError, str(e), e.args])
    try:
        raise ValueError
    except ValueError as e:
        out.append([str(e), repr(e), e.args])
    try:
        raise IndexError("i") from None
    except LookupError as e:
        out.append(repr(e))
    out.append(parse("12"))
    return out
