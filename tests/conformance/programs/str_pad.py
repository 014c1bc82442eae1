# ljust / rjust / center / zfill / expandtabs and multiplication.
def main():
    out = []
    for w in ["a", "abc", "abcdef"]:
        out.append([w.ljust(5), w.rjust(5, "*"), w.center(6, "."), w.center(7), w.zfill(5)])
    out.append(["-42".zfill(6), "+7".zfill(4), "a\tb".expandtabs(4)])
    out.append(["ab" * 3, 3 * "x", "" * 10, "q" * 0, "z" * -2])
    out.append([len("héllo"), "héllo"[1], "abc" < "abd", "Z" < "a", "abc" in "xxabcxx", "" in "a"])
    return out
