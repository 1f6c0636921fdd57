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
    return sorted(
        p
        for p in BOOKING.glob("*/*.py")
        if p.parent.name not in ("api", "idempotency")
        if p.name not in WEB and not p.name.endswith(("_views.py", "_forms.py"))
    )


def request_state_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module in ("flask", "flask_login"):
            found += [
                f"line {node.lineno}: from {node.module} import {a.name}"
                for a in node.names
                if (node.module, a.name) in REQUEST_STATE
            ]
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


# --- one unit of work per use case ------------------------------------------------------------
# A write use case runs in `with write_transaction():` (booking/database.py): it begins the right
# way per database, commits once and rolls back on any exception. Calling begin_write() or
# db.session.commit() by hand is allowed only here, each (module, function) with its reason:
OWN_TRANSACTIONS = {
    ("database.py", "write_transaction"): "the unit of work itself",
    ("demo.py", "seed"): "the seed-demo command: one batch, committed once at its end",
    ("delivery/send.py", "deliver_one"): "ends its read before the channel talks to the network",
    ("idempotency/services.py", "_read"): "ends its read (commit keeps the loaded row usable)",
}


def own_transactions(path: Path) -> list[tuple[str, str, int]]:
    """(function, call, line) of every begin_write(...) and db.session.commit(...) in a module."""
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Call):
                f = child.func
                if (isinstance(f, ast.Name) and f.id == "begin_write") or (
                    isinstance(f, ast.Attribute) and f.attr == "begin_write"
                ):
                    found.append((function, "begin_write()", child.lineno))
                elif (
                    isinstance(f, ast.Attribute)
                    and f.attr == "commit"
                    and isinstance(f.value, ast.Attribute)
                    and f.value.attr == "session"
                    and isinstance(f.value.value, ast.Name)
                    and f.value.value.id == "db"
                ):
                    found.append((function, "db.session.commit()", child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


@pytest.mark.parametrize("path", sorted(BOOKING.rglob("*.py")), ids=lambda p: p.relative_to(BOOKING).as_posix())
def test_write_use_cases_go_through_write_transaction(path):
    module = path.relative_to(BOOKING).as_posix()
    by_hand = [
        f"{module}:{line} {call} in {function}()"
        for function, call, line in own_transactions(path)
        if (module, function) not in OWN_TRANSACTIONS
    ]
    assert by_hand == [], "use `with write_transaction():` (booking/database.py)"


def test_every_allowed_transaction_is_still_there():
    """An entry whose call is gone is removed, so the list stays the list of real exceptions."""
    seen = {
        (p.relative_to(BOOKING).as_posix(), function)
        for p in BOOKING.rglob("*.py")
        for function, _, _ in own_transactions(p)
    }
    assert set(OWN_TRANSACTIONS) <= seen


def test_the_check_sees_a_transaction_by_hand(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from booking import database\nfrom booking.database import begin_write\n\n"
        "def use_case():\n    begin_write()\n    db.session.commit()\n\n"
        "class Jobs:\n    def run(self):\n        database.begin_write()\n\n"
        "def fine():\n    with write_transaction():\n        session.commit()\n"
    )
    assert own_transactions(sample) == [
        ("use_case", "begin_write()", 5),
        ("use_case", "db.session.commit()", 6),
        ("run", "begin_write()", 10),
    ]
