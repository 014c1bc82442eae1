# printf-style % formatting.
def main():
    out = [
        "%s is %d years" % ("Ann", 30),
        "%5s|%-5s|" % ("ab", "cd"),
        "%.3f %e %g" % (3.14159, 31415.9, 0.0001),
        "%05d %+d %x %o %X" % (42, 42, 255, 8, 255),
        "%r %s" % ("q", [1, "a"]),
        "%(name)s-%(n)03d" % {"name": "id", "n": 7},
        "100%%" % (),
        "%s" % "single",
        "%s" % (("tuple",),),
        "%c%c" % (72, "i"),
        "%*d|" % (6, 12),
        "%-8.3s|" % "abcdef",
    ]
    try:
        out.append("%d %d" % (1,))
    except TypeError as e:
        out.append(str(e))
    return out
