# Nested try blocks, handler selection by class order, tuples of classes.
def classify(f):
    try:
        try:
            f()
        except (ZeroDivisionError, IndexError) as e:
            return "inner:" + type(e).__name__ + ":" + str(e)
        except KeyError:
            return "inner:key"
    except ArithmeticError as e:
        return "outer:arith:" + str(e)
    except Exception as e:
        return "outer:exc:" + str(e)
    return "none"


def main():
    return [
        classify(lambda: 1 / 0),
        classify(lambda: [][1]),
        classify(lambda: {}["z"]),
        classify(lambda: int("q")),
        classify(lambda: 2**1.5),
        classify(lambda: 10.0**400),
    ]
