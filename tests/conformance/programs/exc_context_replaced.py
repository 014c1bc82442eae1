# Raising a saved exception while handling another: the handled one becomes its
# __context__ (replacing the old one); outside a handler the old context stays; a
# chain that would loop back is cut.
def saved_with_context():
    try:
        try:
            raise KeyError("x")
        except KeyError:
            raise ValueError("first")
    except ValueError as e:
        return e


def main():
    out = []
    saved = saved_with_context()
    out.append(repr(saved.__context__))
    try:
        try:
            raise IndexError("i")
        except IndexError:
            raise saved
    except ValueError as e:
        out.append(repr(e.__context__))
    again = saved_with_context()
    try:
        raise again
    except ValueError as e:
        out.append(repr(e.__context__))
    try:
        try:
            raise ValueError("a")
        except ValueError as a:
            try:
                raise TypeError("b")
            except TypeError:
                raise a
    except ValueError as got:
        out.append(repr(got.__context__))
        out.append(repr(got.__context__.__context__))
    try:
        try:
            raise ValueError("same")
        except ValueError as same:
            raise same
    except ValueError as e:
        out.append(repr(e.__context__))
    return out + main_across_frames()


def raiser(message):
    raise ValueError(message)


def reraiser():
    raise


def main_across_frames():
    out = []
    try:
        try:
            1 / 0
        except ZeroDivisionError:
            raiser("in a call")
    except ValueError as e:
        out.append(repr(e.__context__))
    try:
        try:
            raise KeyError("outer")
        except KeyError:
            reraiser()  # a bare raise in a called function re-raises what is handled
    except KeyError as e:
        out.append(repr(e))
    return out
