"""`flask release-no-shows` run twice at the same moment (two cron hosts): each booking changes
once, places come back once, and the counters still equal the bookings (SQLite and PostgreSQL)."""
import multiprocessing as mp
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import integrity, timeutil
from booking.extensions import db
from booking.reservations import services as bookings
from booking.reservations.models import Reservation, SlotLoad
from tests import factories as f

pytestmark = pytest.mark.race


def _run_job(url, barrier, results):
    from booking import create_app
    from booking.reservations.services import release_no_shows
    from tests.conftest import make_config
    app = create_app(make_config(url))
    with app.app_context():
        barrier.wait(timeout=60)
        results.put(release_no_shows())


@pytest.fixture
def missed(ctx):
    """20 confirmed bookings whose check-in window closed an hour ago."""
    host, ent = f.org("Host"), f.org("Ent")
    gym = f.facility(f.venue(host), "Gym", kind="gym", capacity=30, opens=0, closes=24 * 60)
    f.agreement(host, ent)
    now = timeutil.utcnow()
    day = timeutil.local_date(now, "Asia/Shanghai") + timedelta(days=1)
    start = timeutil.local_to_utc(day, 19 * 60, "Asia/Shanghai")
    for i in range(20):
        bookings.book(f.user(f"sleepy{i}", ent), gym.id, start, now=now)
    # Time passes: they all started two hours ago and nobody came.
    db.session.execute(Reservation.__table__.update().values(start_at=now - timedelta(hours=2),
                                                             end_at=now - timedelta(hours=1)))
    db.session.execute(SlotLoad.__table__.update().values(start_at=now - timedelta(hours=2)))
    db.session.commit()
    db.session.remove()
    db.engine.dispose()


def test_two_jobs_at_once_change_each_booking_once(db_url, missed):
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_run_job, args=(db_url, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    done = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sum(d["no_show"] for d in done) == 20, done
    assert Counter(db.session.scalars(select(Reservation.status))) == {"no_show": 20}
    assert db.session.scalar(select(func.sum(SlotLoad.held))) == 0
    assert integrity.check() == []
