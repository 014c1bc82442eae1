# String processing: palindromes, anagrams, run-length encoding, word wrap.
def is_palindrome(s):
    cleaned = [c.lower() for c in s if c.isalnum()]
    return cleaned == cleaned[::-1]


def rle(s):
    if not s:
        return ""
    out = []
    prev, count = s[0], 1
    for c in s[1:]:
        if c == prev:
            count += 1
        else:
            out.append(f"{count}{prev}")
            prev, count = c, 1
    out.append(f"{count}{prev}")
    return "".join(out)


def anagram_groups(words):
    groups = {}
    for w in words:
        groups.setdefault("".join(sorted(w)), []).append(w)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def wrap(text, width):
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = word if not line else line + " " + word
    if line:
        lines.append(line)
    return lines


def main():
    return [
        is_palindrome("A man, a plan, a canal: Panama"),
        is_palindrome("not one"),
        rle("aaabccddddde"),
        rle(""),
        anagram_groups(["listen", "silent", "enlist", "google", "gooegl", "cat", "act", "dog"]),
        wrap("the quick brown fox jumps over the lazy dog and keeps running far away", 16),
        "snake_case_name".replace("_", " ").title().replace(" ", ""),
        " ".join(w[::-1] for w in "hello brave new world".split()),
    ]
