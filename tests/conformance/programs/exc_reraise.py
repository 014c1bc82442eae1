# Bare raise re-raises the current exception; raise inside except chains.
def inner():
    raise ValueError("original")


def middle(log):
    try:
        inner()
    except ValueError:
        log.append("middle saw it")
        raise


def convert():
    try:
        {}["k"]
    except KeyError as e:
        raise RuntimeError("converted: " + str(e))


def main():
    log = []
    try:
        middle(log)
    except ValueError as e:
        log.append("main got " + str(e))
    try:
        convert()
    except RuntimeError as e:
        log.append(str(e))
    try:
        try:
            raise TypeError("t")
        except TypeError as e:
            err = e
        raise err
    except TypeError as e2:
        log.append(["same object", e2 is err])
    return log
