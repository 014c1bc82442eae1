# Roman numerals both ways, number to words.
NUMERALS = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
]


def to_roman(n):
    out = ""
    for value, sym in NUMERALS:
        while n >= value:
            out += sym
            n -= value
    return out


def from_roman(s):
    values = {sym: v for v, sym in NUMERALS if len(sym) == 1}
    total = 0
    for i, c in enumerate(s):
        v = values[c]
        if i + 1 < len(s) and values[s[i + 1]] > v:
            total -= v
        else:
            total += v
    return total


ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def words(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    rest = n % 100
    return ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + words(rest))


def main():
    nums = [1, 4, 9, 14, 40, 90, 400, 1994, 2024, 3999]
    romans = [to_roman(n) for n in nums]
    return [
        romans,
        [from_roman(r) for r in romans] == nums,
        [words(n) for n in [0, 13, 40, 42, 100, 115, 999]],
    ]
