# ord/chr, caesar cipher, unicode strings.
def caesar(text, shift):
    out = []
    for c in text:
        if c.isalpha() and c.isascii():
            base = ord("a") if c.islower() else ord("A")
            out.append(chr((ord(c) - base + shift) % 26 + base))
        else:
            out.append(c)
    return "".join(out)


def main():
    msg = "Hello, World! zZ"
    enc = caesar(msg, 3)
    return [
        enc,
        caesar(enc, -3),
        ord("é"),
        chr(9731),
        [ord(c) for c in "AZaz09"],
        "\u00e9" == "é",
        len("\U0001f600"),
        repr("tab\there"),
        repr('quote"s'),
        repr("it's"),
        repr("both'\""),
    ]
