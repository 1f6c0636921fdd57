"""`flask check-integrity`: overlapping bookings whatever their grid, and one snapshot under load."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event

from booking import create_app, integrity, timeutil
from booking.extensions import db
from booking.reservations import services
from tests import world as w
from tests.conftest import make_config


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False, gym_capacity=2)


def regrid(facility, slot_minutes):
    """The host changes the slot length behind the admin flow's back (as a migration or a bug might)."""
    facility.slot_minutes = slot_minutes
    db.session.commit()


def test_overlapping_bookings_on_different_grids_past_capacity_are_found(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)  # 19:00-20:00
    regrid(world.court, 30)
    services.book(world.worker2, world.court.id, w.SLOT + timedelta(minutes=30), now=w.NOW)  # 19:30-20:00
    problems = integrity.check(now=w.NOW)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"facility {world.court.id}: overlapping bookings hold 2 places")


def test_bookings_that_only_touch_are_fine(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)  # 19:00-20:00
    regrid(world.court, 30)
    services.book(world.worker2, world.court.id, w.SLOT + timedelta(minutes=60), now=w.NOW)  # 20:00-20:30
    assert integrity.check(now=w.NOW) == []


def test_overlaps_within_capacity_are_fine_and_past_it_are_found(world):
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)  # 19:00-20:00
    regrid(world.gym, 90)
    services.book(world.worker2, world.gym.id, w.local(2026, 11, 25, 18, 30), now=w.NOW)  # 18:30-20:00
    assert integrity.check(now=w.NOW) == []  # two places held, capacity 2
    regrid(world.gym, 30)
    services.book(world.admin, world.gym.id, w.SLOT + timedelta(minutes=30), now=w.NOW)  # 19:30-20:00
    problems = integrity.check(now=w.NOW)
    assert len(problems) == 1 and "hold 3 places" in problems[0] and "capacity 2" in problems[0], problems


def test_history_past_capacity_is_not_a_fault(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    regrid(world.court, 30)
    services.book(world.worker2, world.court.id, w.SLOT + timedelta(minutes=30), now=w.NOW)
    assert integrity.check(now=w.SLOT + timedelta(hours=2)) == []


@pytest.fixture
def booking_between_reads(world, db_url):
    """While check() reads, right before it reads the slot counters, another connection commits a
    booking (a live system under load). The booking is made by a thread with its own app."""
    other = create_app(make_config(db_url))
    worker_id, gym_id = world.worker.id, world.gym.id
    done = []

    def book_elsewhere():
        with other.app_context():
            from booking.accounts.models import User

            services.book(db.session.get(User, worker_id), gym_id, w.SLOT, now=w.NOW)
            db.engine.dispose()
        done.append(True)

    def before(conn, cursor, statement, *args):
        if not done and "FROM slot_loads" in statement:
            thread = threading.Thread(target=book_elsewhere)
            thread.start()
            thread.join(timeout=60)

    event.listen(db.engine, "before_cursor_execute", before)
    yield done
    event.remove(db.engine, "before_cursor_execute", before)


def test_a_booking_committed_while_it_runs_is_no_problem(booking_between_reads):
    assert integrity.check(now=w.NOW) == []
    assert booking_between_reads == [True]  # the booking did land mid-check
    assert integrity.check(now=w.NOW) == []


def test_control_without_the_snapshot_it_cries_wolf(booking_between_reads, monkeypatch):
    # PostgreSQL's default READ COMMITTED (what check() ran in before: each statement sees what
    # was committed when it began); on SQLite, each statement on its own.
    monkeypatch.setattr(
        integrity,
        "_SNAPSHOT",
        {"postgresql": {"isolation_level": "READ COMMITTED"}, "sqlite": {"sqlite_begin": "NONE"}},
    )
    problems = integrity.check(now=w.NOW)
    assert booking_between_reads == [True]
    assert len(problems) == 1 and "counter says 1 held, bookings hold 0" in problems[0], problems


def test_the_command_exits_1_on_an_overlap(world, ctx):
    runner = ctx.test_cli_runner()
    assert runner.invoke(args=["check-integrity"]).output.strip() == "integrity: OK"
    now = timeutil.utcnow()
    slot = timeutil.local_to_utc(timeutil.local_date(now, w.TZ) + timedelta(days=1), 19 * 60, w.TZ)
    services.book(world.worker, world.court.id, slot, now=now)
    regrid(world.court, 30)
    services.book(world.worker2, world.court.id, slot + timedelta(minutes=30), now=now)
    bad = runner.invoke(args=["check-integrity"])
    assert bad.exit_code == 1
    assert "overlapping bookings hold 2 places" in bad.output and "integrity: 1 problem(s)" in bad.output
