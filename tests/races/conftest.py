"""Controls for the race tests: each switches a real guard off from the test side, before the
fork, so the same race shows that it breaks without it. Production code has no switch."""

import time
from contextlib import contextmanager

import pytest
import sqlalchemy

from booking.database import GuardedCounter
from booking.extensions import db
from booking.reservations import booking as booking_module

#: How long a racer of a control waits between its early read of the counters and its write:
#: longer than the spread of the racers' arrival on a loaded 2-core machine, so the racers that
#: read together write together and the control breaks every run, not by the luck of the scheduler.
CONTROL_PAUSE = 0.8


@pytest.fixture
def counters_unguarded(monkeypatch):
    """Every guarded counter (slot places, enterprise minutes, worker bookings) ignores its limit.

    A booking also reads the counters early, outside the write transaction, to refuse what is
    clearly full (booking._precheck, a courtesy, not the guard): racers pause after it, so a
    racer that started a little late cannot be refused by a booking already committed."""
    add = GuardedCounter.add
    monkeypatch.setattr(GuardedCounter, "add", lambda self, amount, limit, **key: add(self, amount, None, **key))
    precheck = booking_module._precheck

    def precheck_then_pause(*args, **kwargs):
        precheck(*args, **kwargs)
        time.sleep(CONTROL_PAUSE)

    monkeypatch.setattr(booking_module, "_precheck", precheck_then_pause)


def _begin_unserialized() -> None:
    """Begin writing without a lock up front: SQLite runs each statement on its own (no BEGIN
    IMMEDIATE queueing the writers), PostgreSQL a plain transaction."""
    session = db.session()
    if session.in_transaction():
        session.commit()
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "NONE"})


@contextmanager
def _unserialized_transaction():
    session = db.session()
    _begin_unserialized()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def unserialize(monkeypatch, module) -> None:
    """Make `module`'s write use cases start without the SQLite write lock (whichever of
    begin_write / write_transaction it uses)."""
    names = [n for n in ("begin_write", "write_transaction") if hasattr(module, n)]
    assert names, f"{module.__name__} starts no write transaction we know of"
    if "begin_write" in names:
        monkeypatch.setattr(module, "begin_write", _begin_unserialized)
    if "write_transaction" in names:
        monkeypatch.setattr(module, "write_transaction", _unserialized_transaction)


def without_status_guard(monkeypatch, module, pause: float = 0.0) -> None:
    """`module`'s UPDATE statements drop their `status = ...` condition: the guarded UPDATE that
    changes a row only if its status is still the one read becomes a blind one. `pause`: wait
    that long between the read and the write, so racers that read together write together (the
    race is then shown every run, not by the luck of the scheduler)."""

    class Blind:
        def __init__(self, stmt):
            self.stmt = stmt

        def where(self, *criteria):
            time.sleep(pause)
            return self.stmt.where(*[c for c in criteria if "status" not in str(c)])

    monkeypatch.setattr(module, "update", lambda table: Blind(sqlalchemy.update(table)))
