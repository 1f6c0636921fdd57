"""Print the package cycles of `booking/`: `python -m tests.tools.import_cycles`.

The graph is grimp's (the one import-linter checks), so imports deferred inside functions
count like the ones at the top of a module. Modules are collapsed to their package under
`booking` (booking.reservations.services -> reservations); a cycle is a strongly connected
group of two or more packages. Top-level modules (booking/cache.py, database.py, ...) are left
out unless `--modules` is given. Exit status 1 when there is a cycle. The enforced contract is
`.importlinter` ("acyclic packages", with its named exceptions); this script is the readable
picture of the same graph, for before/after notes.
"""

import os
import sys
from collections import defaultdict

import grimp

ROOT = "booking"


PACKAGES = {name for name in os.listdir(ROOT) if os.path.isfile(os.path.join(ROOT, name, "__init__.py"))}
MODULES = "--modules" in sys.argv


def package_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2 or not (MODULES or parts[1] in PACKAGES):
        return "(root)"
    return parts[1]


def package_graph(graph) -> dict[tuple[str, str], list[tuple[str, int | None]]]:
    """(importer package, imported package) -> [(importing module, line)]."""
    edges: dict[tuple[str, str], list[tuple[str, int | None]]] = defaultdict(list)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = package_of(module), package_of(imported)
            if a != b and "(root)" not in (a, b):
                details = graph.get_import_details(importer=module, imported=imported)
                for d in details or [{"line_number": None}]:
                    edges[(a, b)].append((f"{module} -> {imported}", d["line_number"]))
    return edges


def strongly_connected(nodes, succ) -> list[list[str]]:
    """Tarjan's algorithm; groups of more than one node only."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    graph = grimp.build_graph(ROOT, cache_dir=None)
    edges = package_graph(graph)
    succ = defaultdict(set)
    nodes = set()
    for a, b in edges:
        succ[a].add(b)
        nodes |= {a, b}
    pairs = sorted((a, b) for a, b in edges if a < b and (b, a) in edges)
    groups = strongly_connected(nodes, succ)
    print(f"{len(pairs)} two-package cycle(s); {len(groups)} strongly connected group(s)")
    for a, b in pairs:
        print(f"\n{a} <-> {b}")
        for x, y in ((a, b), (b, a)):
            for imp, line in sorted(edges[(x, y)], key=str):
                print(f"    {imp}  (line {line})")
    for group in groups:
        print("\ncycle group: " + " , ".join(group))
    return 1 if groups else 0


if __name__ == "__main__":
    sys.exit(main())
