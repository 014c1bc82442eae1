# Default values are evaluated once, when the def runs.
def append_to(x, bucket=[]):
    bucket.append(x)
    return bucket


def safe_append(x, bucket=None):
    if bucket is None:
        bucket = []
    bucket.append(x)
    return bucket


counter = [0]


def next_default():
    counter[0] += 1
    return counter[0]


def uses_default(v=next_default()):
    return v


def main():
    a = append_to(1)
    b = append_to(2)
    c = safe_append(1)
    d = safe_append(2)
    return [a, b, a is b, c, d, uses_default(), uses_default(), uses_default(99), counter[0]]
