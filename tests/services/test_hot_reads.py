"""The hot reads' statements and the connection they run on, on both databases."""

from datetime import timedelta

import pytest

from booking.api.facilities import _DAY_WITH_LINES
from booking.database import begin_write, close_read_connection, connection, fetch
from booking.extensions import db
from booking.reservations import services
from tests import factories as f
from tests import world as w


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False, hours=3, per_worker=2)


def test_the_availability_read_statement_runs_on_both_databases(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    rows = fetch(
        _DAY_WITH_LINES, facility_id=world.court.id, start=w.SLOT - timedelta(hours=1), end=w.SLOT + timedelta(hours=1)
    ).all()
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


def test_the_day_read_follows_a_change_of_slot_length_at_once(world):
    """The day's slots are kept per rules object (reservations.availability._day_slots): a
    change of the facility's settings gives new rules, so the next read lays the new grid."""
    from booking.admin import services as admin
    from booking.reservations.availability import availability

    host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    day = w.SLOT.date()
    _, before = availability(world.worker, world.court.id, day, w.NOW)
    _, again = availability(world.worker, world.court.id, day, w.NOW)
    assert again == before and {s["end"] - s["start"] for s in before} == {timedelta(minutes=60)}
    assert admin.change_facility(host_admin, world.court.id, {"slot_minutes": 30}, now=w.NOW).applied
    _, after = availability(world.worker, world.court.id, day, w.NOW)
    assert {s["end"] - s["start"] for s in after} == {timedelta(minutes=30)}
    assert len(after) == 2 * len(before)
