# The messages of common runtime errors, caught and compared.
def main():
    d = {"x": 1}
    try:
        d.nosuch
    except AttributeError as e:
        msg1 = str(e)
    try:
        xs = [1, 2]
        xs[5] = 1
    except IndexError as e:
        msg3 = str(e)
    try:
        "abc"[1] = "x"
    except TypeError as e:
        msg4 = str(e)
    try:
        int(None)
    except TypeError as e:
        msg5 = str(e)
    try:
        [].index(1)
    except ValueError as e:
        msg6 = str(e)
    try:
        x = undefined_local_later
    except NameError as e:
        msg7 = str(e)

    def g():
        y = y + 1
        return y

    try:
        g()
    except UnboundLocalError as e:
        msg8 = str(e)
    try:
        {}.update(1)
    except TypeError as e:
        msg9 = str(e)
    try:
        "a" < 1
    except TypeError as e:
        msg10 = str(e)
    try:
        len()
    except TypeError as e:
        msg11 = str(e)
    return [msg1, msg3, msg4, msg5, msg6, msg7, msg8, msg9, msg10, msg11]
