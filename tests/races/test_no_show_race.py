"""`flask release-no-shows` run twice at the same moment (two cron hosts): each booking changes
once, places come back once, and the counters still equal the bookings (SQLite and PostgreSQL).

The control switches the guard off from the test side: the job's write transaction takes no
lock up front (SQLite) and its UPDATE no longer requires the status it read; both jobs then
release the same bookings, and the slot counter gives their places back twice.
"""

import multiprocessing as mp
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import integrity, timeutil
from booking.extensions import db
from booking.reservations import no_shows
from booking.reservations import services as bookings
from booking.reservations.models import Reservation, SlotLoad
from tests import factories as f
from tests.races.conftest import unserialize, without_status_guard
from tests.races.harness import together

pytestmark = pytest.mark.race
MISSED, CAME = 10, 20


@pytest.fixture
def missed(ctx):
    """30 confirmed bookings of one slot that ended an hour ago: 20 came, 10 did not."""
    host, ent = f.org("Host"), f.org("Ent")
    gym = f.facility(f.venue(host), "Gym", kind="gym", capacity=30, opens=0, closes=24 * 60)
    f.agreement(host, ent)
    now = timeutil.utcnow()
    day = timeutil.local_date(now, "Asia/Shanghai") + timedelta(days=1)
    start = timeutil.local_to_utc(day, 19 * 60, "Asia/Shanghai")
    came = [bookings.book(f.user(f"keen{i}", ent), gym.id, start, now=now).id for i in range(CAME)]
    for i in range(MISSED):
        bookings.book(f.user(f"sleepy{i}", ent), gym.id, start, now=now)
    db.session.execute(
        Reservation.__table__.update().where(Reservation.id.in_(came)).values(status="checked_in", checked_in_at=now)
    )
    # Time passes: they all started two hours ago.
    db.session.execute(
        Reservation.__table__.update().values(start_at=now - timedelta(hours=2), end_at=now - timedelta(hours=1))
    )
    db.session.execute(SlotLoad.__table__.update().values(start_at=now - timedelta(hours=2)))
    db.session.commit()
    db.session.remove()
    db.engine.dispose()


def two_jobs(db_url):
    return together(db_url, [no_shows.release_no_shows, no_shows.release_no_shows])


def held() -> int:
    return db.session.scalar(select(SlotLoad.held))


def test_two_jobs_at_once_change_each_booking_once(db_url, missed):
    done = two_jobs(db_url)
    assert sum(d["no_show"] for d in done) == MISSED, done
    assert Counter(db.session.scalars(select(Reservation.status))) == {"no_show": MISSED, "checked_in": CAME}
    assert held() == CAME
    assert integrity.check() == []


@pytest.fixture
def unguarded(monkeypatch):
    unserialize(monkeypatch, no_shows)
    without_status_guard(monkeypatch, no_shows)
    # Both jobs have read the same candidates before either changes one (held here, after the read).
    both_read = mp.get_context("fork").Barrier(2)
    claim = no_shows._claim

    def claim_after_both_read(*args):
        if not getattr(claim_after_both_read, "waited", False):
            claim_after_both_read.waited = True
            both_read.wait(timeout=60)
        return claim(*args)

    monkeypatch.setattr(no_shows, "_claim", claim_after_both_read)


def test_control_without_the_guard_places_come_back_twice(db_url, missed, unguarded):
    done = two_jobs(db_url)
    assert sum(d["no_show"] for d in done) == 2 * MISSED, done
    assert held() == CAME - MISSED, "places given back twice"
    assert any("counter says 10 held, bookings hold 20" in p for p in integrity.check())
