# Flattening and unflattening nested dicts/lists, a tiny JSON encoder.
def flatten(value, prefix=""):
    out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, prefix + "." + k if prefix else k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def encode(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ",".join(encode(x) for x in v) + "]"
    return "{" + ",".join(encode(k) + ":" + encode(x) for k, x in v.items()) + "}"


def main():
    doc = {
        "name": "svc",
        "ports": [80, 443],
        "meta": {"owner": {"team": "core", "oncall": None}, "tags": ["a", "b"], "ok": True},
        "ratio": 0.25,
    }
    flat = flatten(doc)
    return [flat, sorted(flat), encode(doc), encode(['q"uote', "back\\slash"])]
