# Format specs in f-strings and format().
def main():
    x = 3.14159265
    n = 1234567
    s = "hi"
    width = 10
    out = [
        f"{x:.2f}|{x:10.3f}|{x:<10.1f}|{x:^10.2f}|{x:+.1e}|{x:%}|{x:.0f}",
        f"{n:,}|{n:_}|{n:>12,}|{n:012d}|{n:x}|{n:X}|{n:o}|{n:b}|{n:#x}|{n:#b}",
        f"{s:>5}|{s:<5}|{s:^6}|{s:*^7}|{s:=>4}",
        f"{x:{width}.{3}f}|{s:>{width}}",
        f"{-42:5d}|{42:+d}|{42: d}|{-42:05d}",
        f"{0.000012345:g}|{123456789.0:g}|{1.5:g}|{100.0:g}",
        f"{'abc'!r:>8}",
        format(255, "08b"),
        format(0.5, ".1%"),
        format("text"),
        format(12, ""),
        f"{True:d}|{3:.2f}",
    ]
    return out
