# Case methods and predicates.
def main():
    words = [
        "hello world",
        "Hello World",
        "HELLO",
        "hELLo wORLD",
        "",
        "123abc",
        "ß straße",
        "x1 y2",
    ]
    out = []
    for w in words:
        out.append([w.upper(), w.lower(), w.title(), w.capitalize(), w.swapcase(), w.casefold()])
        out.append(
            [
                w.isupper(),
                w.islower(),
                w.isalpha(),
                w.isalnum(),
                w.isdigit(),
                w.isspace(),
                w.istitle(),
            ]
        )
    out.append(
        [
            "42".isnumeric(),
            "4.2".isdecimal(),
            " \t\n".isspace(),
            "abc_1".isidentifier(),
            "1abc".isidentifier(),
        ]
    )
    return out
