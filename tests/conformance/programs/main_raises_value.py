# main() raises after partial work.
def parse_all(items):
    return [int(x) for x in items]


def main():
    parse_all(["1", "2"])
    return parse_all(["3", "four"])
