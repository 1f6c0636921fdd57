"""The shape of a booking's write transaction, statement by statement (SQLite and PostgreSQL).

Every guarded UPSERT locks its counter row until commit (PostgreSQL). The enterprise's weekly
counter is one row for all the workers of an enterprise: the hot row of a rush. It must be the
last lock taken, followed only by the commit; and the worker's
lock comes with the facility's rules lock, in one statement (booking.py, _take()).
"""

import re

import pytest
from sqlalchemy import event

from booking.extensions import db
from booking.reservations import services
from tests import world as w

KINDS = [
    ("begin", re.compile(r"^BEGIN")),
    ("rules+worker lock", re.compile(r"FOR SHARE OF f FOR UPDATE OF u")),
    ("rules", re.compile(r"SELECT facilities\.rules_version")),
    ("overlap", re.compile(r"^SELECT EXISTS \(SELECT reservations\.id")),
    ("worker counter", re.compile(r"^INSERT INTO worker_week_usage")),
    ("slot counter", re.compile(r"^INSERT INTO slot_loads")),
    ("enterprise counter", re.compile(r"^INSERT INTO enterprise_week_usage")),
    ("reservation", re.compile(r"^INSERT INTO reservations")),
    ("standing", re.compile(r"^SELECT 'b' AS kind, blackouts\.starts_at")),
    ("cache tokens", re.compile(r"^SELECT cache_scopes\.scope, cache_scopes\.token")),
    ("notify settings", re.compile(r"^SELECT notification_settings\.email")),
]


def kind(statement: str) -> str:
    return next((name for name, pattern in KINDS if pattern.search(statement.strip())), statement[:60])


@pytest.fixture
def world(ctx):
    return w.build()


def statements_of(fn, *args, **kwargs) -> list[tuple]:
    """(connection, what) for every statement and commit of fn(...): the reads before the write
    run on a connection of their own."""
    seen: list[tuple] = []

    def statement(conn, _cursor, sql, *_args):
        seen.append((conn, kind(sql)))

    def commit(conn):
        seen.append((conn, "commit"))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        fn(*args, **kwargs)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    return seen


def test_the_enterprise_counter_is_taken_last_just_before_the_commit(world):
    seen = statements_of(services.book, world.worker, world.gym.id, w.SLOT, now=w.NOW)
    engine = db.engine
    writer = seen[-1][0]  # the write transaction's connection: its commit comes last
    assert seen[-1][1] == "commit"
    write = [what for conn, what in seen if conn is writer]
    assert write.count("commit") == 1
    # The booking's confirmation (the transactional outbox) is written between the row and the
    # enterprise counter: reads of the worker's settings and INSERTs, none of them a lock.
    first = ["overlap", "worker counter", "slot counter", "reservation"]
    head = ["rules+worker lock"] if engine.dialect.name == "postgresql" else ["begin", "rules"]
    assert write[: len(head) + len(first)] == head + first
    assert write[-2:] == ["enterprise counter", "commit"]
    assert "enterprise counter" not in write[:-2]


def test_a_warm_booking_is_one_read_then_the_guarded_transaction(world):
    """With the facility and the agreement cached (another worker of the enterprise booked
    before), a booking reads its plan in one statement (blackouts, suspensions, counters), then
    writes: no ORM flush, one INSERT of the row, the worker's notification settings read with the
    overlap check."""
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    db.session.remove()
    seen = statements_of(services.book, world.worker2, world.gym.id, w.SLOT, now=w.NOW)
    writer = seen[-1][0]
    reads = [what for conn, what in seen if conn is not writer and what != "cache tokens"]
    write = [what for conn, what in seen if conn is writer and what != "cache tokens"]
    assert reads == ["standing"]
    head = ["rules+worker lock"] if db.engine.dialect.name == "postgresql" else ["begin", "rules"]
    rest = ["overlap", "worker counter", "slot counter", "reservation", "enterprise counter"]
    assert write == head + rest + ["commit"]
