# Exceptions inside loops and comprehensions, continue/break from handlers.
def risky(i):
    if i % 3 == 0:
        raise ValueError(f"bad {i}")
    return i * 10


def main():
    good, bad = [], []
    for i in range(8):
        try:
            good.append(risky(i))
        except ValueError as e:
            bad.append(str(e))
            continue
        finally:
            good.append("f")
        if i == 5:
            break
    out = [good, bad]
    try:
        [risky(i) for i in [1, 2, 3]]
    except ValueError as e:
        out.append("comprehension: " + str(e))
    try:
        sorted([3, 0, 1], key=lambda v: 10 // v)
    except ZeroDivisionError as e:
        out.append("key: " + str(e))
    try:
        list(map(risky, [1, 3]))
    except ValueError as e:
        out.append("map: " + str(e))
    attempts = 0
    while True:
        attempts += 1
        try:
            if attempts < 3:
                raise RuntimeError("retry")
            break
        except RuntimeError:
            pass
    out.append(attempts)
    return out
