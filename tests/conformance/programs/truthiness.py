# Truthiness of every plain value kind.
def main():
    values = [
        0,
        1,
        -1,
        0.0,
        0.1,
        "",
        " ",
        "0",
        [],
        [0],
        {},
        {"": 0},
        (),
        (None,),
        set(),
        {0},
        None,
        True,
        False,
        range(0),
        range(1),
        frozenset(),
    ]
    out = [bool(v) for v in values]
    count = 0
    for v in values:
        if v:
            count += 1
    out.append(count)
    out.append(
        [v for v in values if not v]
        == [0, 0.0, "", [], {}, (), set(), None, False, range(0), frozenset()]
    )
    return out
