# split / rsplit / splitlines / join / partition.
def main():
    s = "  the quick  brown fox  "
    out = [s.split(), s.split(" "), s.split(None, 1), s.rsplit(None, 1), s.strip().split(" ", 2)]
    out.append("a,b,,c".split(","))
    out.append("a,b,,c".rsplit(",", 1))
    out.append("line1\nline2\r\nline3\n".splitlines())
    out.append("line1\nline2\n".splitlines(True))
    out.append("-".join(["a", "b", "c"]))
    out.append("".join(reversed("stressed")))
    out.append(", ".join(str(i) for i in range(5)))
    out.append("key=value=x".partition("="))
    out.append("key=value=x".rpartition("="))
    out.append("novalue".partition("="))
    out.append(" x ".join("abc"))
    return out
