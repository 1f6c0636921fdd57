"""Cycles between the packages of booking/, over every import (deferred ones inside functions too).

    python -m tests.tools.package_cycles              # prints each cycle; exit 1 if there is one
    python -m tests.tools.package_cycles --services   # the service layer only: no views, forms, api
    python -m tests.tools.package_cycles --root DIR   # another checkout's booking/ (before/after)

A package is booking's first-level name (booking/facilities/... -> facilities; booking/cli.py -> cli).
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "booking"


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "booking" and len(parts) > 1 else None


def _is_edge_module(path: Path) -> bool:
    """Views, forms and the API: the layer above the services, allowed to import across packages."""
    name = path.stem
    return name in ("views", "forms") or name.endswith(("_views", "_forms")) or path.relative_to(ROOT).parts[0] == "api"


def graph(root: Path = ROOT, services_only: bool = False) -> dict[str, set[str]]:
    global ROOT
    ROOT = root
    edges: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        if services_only and _is_edge_module(path):
            continue
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts)
        is_init = path.name == "__init__.py"
        here = module.rsplit(".", 1)[0] if is_init else module
        source = _package(module if not is_init else module.rsplit(".", 1)[0] + ".x")
        if source is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")
                    base = base[: len(base) - node.level + (1 if is_init else 0)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                targets = [prefix] if node.module else [f"{prefix}.{a.name}" for a in node.names]
            for target in targets:
                package = _package(target)
                if package and package != source:
                    edges.setdefault(source, set()).add(package)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Pairs of packages that reach each other (one line per strongly connected pair)."""

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reached = {p: reach(p) for p in edges}
    return sorted((a, b) for a in reached for b in reached[a] if a < b and a in reached.get(b, ()))


def direct_cycles(edges) -> list[tuple[str, str]]:
    return sorted((a, b) for a in edges for b in edges[a] if a < b and a in edges.get(b, ()))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--services", action="store_true")
    parser.add_argument("--root", type=Path, default=ROOT)
    options = parser.parse_args()
    edges = graph(options.root.resolve(), options.services)
    direct = direct_cycles(edges)
    for a, b in direct:
        print(f"{a} <-> {b}")
    print(f"{len(direct)} two-way package imports; {len(cycles(edges))} package pairs in a cycle")
    sys.exit(1 if direct else 0)
