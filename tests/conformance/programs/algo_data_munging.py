# JSON-like data munging: grouping, aggregation, nested lookups, report formatting.
ORDERS = [
    {
        "id": 1,
        "customer": "acme",
        "items": [{"sku": "A", "qty": 2, "price": 9.5}, {"sku": "B", "qty": 1, "price": 20.0}],
        "status": "paid",
    },
    {
        "id": 2,
        "customer": "globex",
        "items": [{"sku": "A", "qty": 5, "price": 9.5}],
        "status": "pending",
    },
    {
        "id": 3,
        "customer": "acme",
        "items": [{"sku": "C", "qty": 10, "price": 1.25}],
        "status": "paid",
    },
    {"id": 4, "customer": "initech", "items": [], "status": "cancelled"},
]


def order_total(order):
    return round(sum(i["qty"] * i["price"] for i in order["items"]), 2)


def main():
    by_customer = {}
    for o in ORDERS:
        by_customer.setdefault(o["customer"], []).append(o["id"])
    revenue = {}
    for o in ORDERS:
        if o["status"] == "paid":
            revenue[o["customer"]] = revenue.get(o["customer"], 0) + order_total(o)
    sku_qty = {}
    for o in ORDERS:
        for item in o["items"]:
            sku_qty[item["sku"]] = sku_qty.get(item["sku"], 0) + item["qty"]
    report = [f"{c:<8}|{t:>8.2f}" for c, t in sorted(revenue.items(), key=lambda kv: -kv[1])]
    statuses = sorted({o["status"] for o in ORDERS})
    flat = [{"order": o["id"], **item} for o in ORDERS for item in o["items"]]
    return [
        by_customer,
        revenue,
        sku_qty,
        report,
        statuses,
        flat[:2],
        max(ORDERS, key=order_total)["id"],
    ]
