"""Quotas under real concurrency: 30 processes, SQLite and PostgreSQL, each with a control."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import integrity, timeutil
from booking.accounts.services import issue_token
from booking.extensions import db
from booking.reservations.models import Reservation
from tests import factories as f
from tests.races.harness import race

pytestmark = pytest.mark.race
RACERS = 30
TZ = "Asia/Shanghai"


def tomorrow_at(minute: int):
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    return timeutil.isoformat_local(timeutil.local_to_utc(day, minute, TZ), TZ)


@pytest.fixture
def enterprise_rush(ctx):
    """30 workers of one enterprise (8 h a week at this host), 30 distinct 1-hour slots."""
    host, ent = f.org("Host"), f.org("Ent")
    venue = f.venue(host)
    courts = [f.facility(venue, f"Court {i}", opens=8 * 60, closes=18 * 60) for i in range(3)]
    f.agreement(host, ent, hours=8)
    calls = []
    for i in range(RACERS):
        f.user(f"racer{i}", ent)
        body = {"facility_id": courts[i % 3].id, "start": tomorrow_at((8 + i // 3) * 60)}
        calls.append((issue_token(f"racer{i}", f.PASSWORD), "POST", "/api/v1/reservations", body))
    db.session.remove()
    db.engine.dispose()
    return calls


@pytest.fixture
def worker_rush(ctx):
    """One worker (2 bookings a week) fires 30 bookings of distinct half-hour slots at once."""
    host, ent = f.org("Host"), f.org("Ent")
    court = f.facility(f.venue(host), "Court", slot_minutes=30, opens=7 * 60, closes=22 * 60)
    f.agreement(host, ent, per_worker=2)
    f.user("eager", ent)
    token = issue_token("eager", f.PASSWORD)
    calls = [
        (token, "POST", "/api/v1/reservations", {"facility_id": court.id, "start": tomorrow_at(7 * 60 + 30 * i)})
        for i in range(RACERS)
    ]
    db.session.remove()
    db.engine.dispose()
    return calls


def booked_minutes() -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Reservation.quota_minutes), 0)).where(
            Reservation.status.in_(("pending", "confirmed"))
        )
    )


def test_enterprise_quota_exactly_8_hours(db_url, enterprise_rush):
    outcome = Counter((s, c) for s, c, _ in race(db_url, enterprise_rush))
    assert outcome == {(201, None): 8, (409, "quota_exceeded"): RACERS - 8}, outcome
    assert booked_minutes() == 8 * 60
    assert integrity.check() == []


def test_control_enterprise_quota_without_guard_overruns(db_url, enterprise_rush, counters_unguarded):
    results = race(db_url, enterprise_rush)
    assert booked_minutes() > 8 * 60, Counter(s for s, _, _ in results)


def test_worker_cap_exactly_2(db_url, worker_rush):
    outcome = Counter((s, c) for s, c, _ in race(db_url, worker_rush))
    assert outcome == {(201, None): 2, (409, "worker_limit"): RACERS - 2}, outcome
    assert integrity.check() == []


def test_control_worker_cap_without_guard_overruns(db_url, worker_rush, counters_unguarded):
    race(db_url, worker_rush)
    assert db.session.scalar(select(func.count(Reservation.id))) > 2
