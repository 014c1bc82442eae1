# try/except/else/finally run in Python's order.
def attempt(log, fail):
    try:
        log.append("try")
        if fail:
            raise ValueError("bad")
        log.append("after-raise")
    except ValueError as e:
        log.append("except " + str(e))
    else:
        log.append("else")
    finally:
        log.append("finally")
    log.append("end")
    return log


def main():
    return [attempt([], False), attempt([], True)]
