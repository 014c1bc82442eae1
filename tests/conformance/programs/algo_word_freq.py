# Word frequencies with a dict, ties broken alphabetically, formatted table.
TEXT = """It was the best of times, it was the worst of times, it was the age of
wisdom, it was the age of foolishness, it was the epoch of belief, it was the
epoch of incredulity, it was the season of Light, it was the season of Darkness"""


def main():
    counts = {}
    for raw in TEXT.split():
        word = raw.strip(".,;:!?").lower()
        if word:
            counts[word] = counts.get(word, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
    table = "\n".join(f"{w:>8} {'#' * n} {n}" for w, n in top)
    lengths = {}
    for w in counts:
        lengths.setdefault(len(w), []).append(w)
    return [
        top,
        table,
        {k: sorted(v) for k, v in sorted(lengths.items())},
        len(counts),
        sum(counts.values()),
    ]
