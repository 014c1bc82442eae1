# Keyword-only arguments, defaults, and the errors for misuse.
def connect(host, port=80, *, timeout=10, retries=3):
    return [host, port, timeout, retries]


def only_kw(*, a, b=2):
    return a + b


def pos_only(a, b, /, c=0):
    return [a, b, c]


def main():
    out = [
        connect("h"),
        connect("h", 8080, retries=1),
        connect(port=1, host="x", timeout=0),
        only_kw(a=1),
        only_kw(b=5, a=1),
        pos_only(1, 2, c=3),
    ]
    for call in [
        lambda: connect("h", 1, 2),
        lambda: only_kw(1),
        lambda: connect(),
        lambda: connect("h", bogus=1),
        lambda: connect("h", host="y"),
        lambda: pos_only(a=1, b=2),
    ]:
        try:
            call()
            out.append("no error")
        except TypeError as e:
            out.append(str(e).split("() ")[-1])
    return out
