# String literal forms: escapes, raw strings, triple quotes, implicit concatenation.
def main():
    return [
        "tab\tnew\nline",
        "quote\"s and 'single'",
        "it's",
        r"raw\n\t\\",
        R"C:\path\to",
        """triple "double" quotes
spanning lines""",
        """single triple""",
        "implicit concatenation mixed",
        "\x41\u00e9\U0001f600\101",
        "back\\slash",
        len("\n\t\\"),
        "a\
b",
        rf"raw {1 + 1} f\n",
        f"{'nested'!r:>10}",
    ]
