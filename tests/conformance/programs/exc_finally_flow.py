# finally runs on return, break and continue; a return in finally wins.
def ret_in_try(log):
    try:
        log.append("try")
        return "from-try"
    finally:
        log.append("finally")


def finally_overrides():
    try:
        return 1
    finally:
        return 2


def finally_swallows():
    try:
        raise KeyError("lost")
    finally:
        return "swallowed"


def loops(log):
    for i in range(4):
        try:
            if i == 1:
                continue
            if i == 3:
                break
            log.append(i)
        finally:
            log.append("f" + str(i))
    n = 0
    while True:
        try:
            n += 1
            if n > 2:
                break
        finally:
            log.append("w" + str(n))
    return log


def nested_finally(log):
    try:
        try:
            return "inner"
        finally:
            log.append("inner-finally")
    finally:
        log.append("outer-finally")


def main():
    log = []
    r = ret_in_try(log)
    log2 = []
    return [r, log, finally_overrides(), finally_swallows(), loops([]), nested_finally(log2), log2]
