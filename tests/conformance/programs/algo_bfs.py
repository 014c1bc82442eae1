# Graph search: BFS shortest path, DFS order, topological sort, connected components.
def bfs(graph, start, goal):
    queue = [[start]]
    seen = {start}
    while queue:
        path = queue.pop(0)
        node = path[-1]
        if node == goal:
            return path
        for nxt in graph.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(path + [nxt])
    return None


def dfs(graph, start):
    order, stack, seen = [], [start], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(reversed(graph.get(node, [])))
    return order


def topo(deps):
    indeg = {n: 0 for n in deps}
    for n, outs in deps.items():
        for m in outs:
            indeg[m] = indeg.get(m, 0) + 1
    ready = sorted(n for n, d in indeg.items() if d == 0)
    order = []
    while ready:
        n = ready.pop(0)
        order.append(n)
        for m in deps.get(n, []):
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
                ready.sort()
    return order


def main():
    g = {"a": ["b", "c"], "b": ["d"], "c": ["d", "e"], "d": ["f"], "e": ["f"], "f": []}
    grid = ["..#.", ".##.", "....", "#..."]
    cells = {}
    for r, row in enumerate(grid):
        for c, ch in enumerate(row):
            if ch == ".":
                cells[(r, c)] = [
                    (r + dr, c + dc)
                    for dr, dc in [(0, 1), (1, 0), (0, -1), (-1, 0)]
                    if 0 <= r + dr < 4 and 0 <= c + dc < 4 and grid[r + dr][c + dc] == "."
                ]
    return [
        bfs(g, "a", "f"),
        bfs(g, "f", "a"),
        dfs(g, "a"),
        topo(
            {
                "shirt": ["tie"],
                "tie": ["jacket"],
                "pants": ["shoes", "jacket"],
                "socks": ["shoes"],
                "shoes": [],
                "jacket": [],
            }
        ),
        len(bfs(cells, (0, 0), (3, 3))) - 1,
    ]
