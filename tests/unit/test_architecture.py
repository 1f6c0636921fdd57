"""Service-layer code never reads the request: it takes plain values (docs/architecture.md).

import-linter sees packages, not names inside `flask`, so this reads every import statement
(deferred ones inside functions too) of the modules below the web layer.
"""
import ast
from pathlib import Path

import pytest

BOOKING = Path(__file__).resolve().parents[2] / "booking"
# Modules of a feature package that belong to the web layer (they may read the request).
WEB = {"views.py", "forms.py", "serialize.py", "flow.py", "__init__.py"}
REQUEST_STATE = {("flask", "request"), ("flask", "session"), ("flask", "g"), ("flask_login", "current_user")}


def service_layer_modules() -> list[Path]:
    # The API is the web layer; idempotency/ is request middleware around every write (it keeps the
    # request's claim in flask.g, as database.py keeps the request's connection).
    return sorted(p for p in BOOKING.glob("*/*.py") if p.parent.name not in ("api", "idempotency")
                  if p.name not in WEB and not p.name.endswith(("_views.py", "_forms.py")))


def request_state_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module in ("flask", "flask_login"):
            found += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if (node.module, a.name) in REQUEST_STATE]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in REQUEST_STATE:
                found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_there_are_service_modules_to_check():
    names = {p.relative_to(BOOKING).as_posix() for p in service_layer_modules()}
    assert {"reservations/services.py", "facilities/rules.py", "checkin/services.py"} <= names


@pytest.mark.parametrize("path", service_layer_modules(), ids=lambda p: p.relative_to(BOOKING).as_posix())
def test_service_layer_does_not_read_the_request(path):
    assert request_state_uses(path) == []


def test_the_check_sees_a_deferred_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import flask\n\ndef f():\n    from flask import g, current_app\n    return flask.request\n")
    assert request_state_uses(sample) == ["line 4: from flask import g", "line 5: flask.request"]


def test_the_package_graph_is_a_tree_but_for_the_outbox_writer():
    """Every import between packages, deferred ones too (tests/tools/package_cycles.py): the only
    cycles left run through the notifications outbox, which accounts and reservations write
    (named in .importlinter; issue 11). Without those two edges the graph has no cycle."""
    from tests.tools.package_cycles import cycles, direct_cycles, graph
    edges = graph()
    assert set(direct_cycles(edges)) <= {("accounts", "notifications"), ("notifications", "reservations")}
    edges["accounts"].discard("notifications")
    edges["reservations"].discard("notifications")
    assert cycles(edges) == []
