"""The snippets of data/snippets.txt: valid Flowmetal, each also valid Python."""

from pathlib import Path

DATA = Path(__file__).parent / "data"


def load_snippets() -> list[str]:
    text = (DATA / "snippets.txt").read_text()
    chunks = text.split("\n=====\n")
    # The file opens with a two-line comment saying what it is; keep the rest.
    chunks[0] = "\n".join(chunks[0].splitlines()[2:])
    return [chunk.strip("\n") + "\n" for chunk in chunks]


SNIPPETS = load_snippets()
