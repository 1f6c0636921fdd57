"""The hot reads' statements and the connection they run on, on both databases."""
from datetime import timedelta

import pytest

from booking.api.facilities import _DAY_WITH_LINES
from booking.database import begin_write, close_read_connection, connection, fetch
from booking.extensions import db
from booking.reservations import services
from tests import world as w


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False, hours=3, per_worker=2)


def test_the_availability_read_statement_runs_on_both_databases(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    rows = fetch(_DAY_WITH_LINES, facility_id=world.court.id, start=w.SLOT - timedelta(hours=1),
                 end=w.SLOT + timedelta(hours=1)).all()
    assert [(r.kind, r.a, r.n) for r in rows] == [("h", w.SLOT, 1)]


def test_a_read_outside_a_transaction_has_a_connection_of_its_own_until_a_write_begins(world):
    db.session.remove()
    conn = connection()
    assert not db.session.registry.has()  # no ORM session made for a read
    assert connection() is conn
    begin_write()
    assert conn.closed  # one connection at a time: the write's
    assert connection() is db.session.connection()
    db.session.rollback()
    again = connection()
    assert again is not conn and not db.session().in_transaction()
    close_read_connection()
    assert again.closed
