# An exception raised while handling another, and exceptions in finally.
def handler_fails():
    try:
        raise ValueError("first")
    except ValueError:
        raise TypeError("second")


def finally_raises():
    try:
        raise ValueError("hidden")
    finally:
        raise KeyError("from finally")


def main():
    out = []
    try:
        handler_fails()
    except TypeError as e:
        out.append(str(e))
    try:
        finally_raises()
    except KeyError as e:
        out.append(str(e))
    except ValueError:
        out.append("wrong")
    try:
        try:
            1 / 0
        except ZeroDivisionError:
            [].pop()
    except IndexError as e:
        out.append(str(e))
    e_name = "unset"
    try:
        raise ValueError("v")
    except ValueError as e_name:
        pass
    try:
        e_name
    except NameError:
        out.append("handler name is deleted")
    return out
