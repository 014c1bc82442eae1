# find / index / count / replace / startswith / strip family.
def main():
    s = "mississippi"
    out = [
        s.find("ss"),
        s.rfind("ss"),
        s.find("zz"),
        s.index("pp"),
        s.rindex("i"),
        s.count("s"),
        s.count("ss"),
        s.count(""),
    ]
    out.append(
        [s.replace("ss", "SS"), s.replace("i", "", 2), s.replace("", "-"), s.replace("x", "y")]
    )
    out.append(
        [s.startswith("miss"), s.endswith("pi"), s.startswith(("a", "mi")), s.endswith("ss", 0, 4)]
    )
    out.append([s.find("s", 4), s.find("s", 4, 5), s[s.find("p") :]])
    t = "xx--hello--xx"
    out.append([t.strip("x"), t.lstrip("x-"), t.rstrip("-x"), "  pad  ".strip(), "\tTab\n".strip()])
    out.append(
        [
            "prefix_name".removeprefix("prefix_"),
            "file.txt".removesuffix(".txt"),
            "abc".removeprefix("z"),
        ]
    )
    try:
        s.index("zz")
    except ValueError as e:
        out.append(str(e))
    return out
