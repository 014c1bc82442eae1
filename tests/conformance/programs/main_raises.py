# main() itself raises: the harness compares the exception type and message.
def helper(d):
    return d["absent"]


def main():
    data = {"present": 1}
    return helper(data)
