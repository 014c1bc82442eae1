# for/else and while/else: else runs only when the loop was not broken.
def find(xs, target):
    for i, x in enumerate(xs):
        if x == target:
            result = "found at " + str(i)
            break
    else:
        result = "not found"
    return result


def countdown(n):
    log = []
    while n > 0:
        n -= 1
        if n == 99:
            break
        log.append(n)
    else:
        log.append("done")
    return log


def main():
    out = [find([4, 5, 6], 5), find([4, 5, 6], 7), find([], 1), countdown(3), countdown(0)]
    n = 0
    while n < 10:
        n += 1
        if n % 2:
            continue
        if n == 8:
            break
    else:
        n = -1
    out.append(n)
    for i in range(3):
        pass
    out.append(i)
    return out
