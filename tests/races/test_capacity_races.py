"""At least 30 processes race for one slot: the database keeps the facility within capacity.

Each race has a control: the same race with the guard switched off from the test side (the
slot counter ignores its limit, tests/races/conftest.py) must overbook, which shows the race
is real and the test catches it.
"""

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


def tomorrow_evening():
    day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=1)
    return timeutil.local_to_utc(day, 19 * 60, "Asia/Shanghai")


@pytest.fixture
def arena(ctx):
    host = f.org("Host")
    ent = f.org("Ent")
    venue = f.venue(host)
    court = f.facility(venue, "Court", capacity=1)
    gym = f.facility(venue, "Gym", kind="gym", capacity=7)
    f.agreement(host, ent)
    tokens = []
    for i in range(RACERS):
        f.user(f"racer{i}", ent)
        tokens.append(issue_token(f"racer{i}", f.PASSWORD))
    ids = {"court": court.id, "gym": gym.id, "tokens": tokens}
    db.session.remove()
    db.engine.dispose()  # no pooled connection may cross a fork
    return ids


def rush(db_url, arena, facility, config=None):
    start = timeutil.isoformat_local(tomorrow_evening(), "Asia/Shanghai")
    body = {"facility_id": arena[facility], "start": start}
    return race(db_url, [(t, "POST", "/api/v1/reservations", body) for t in arena["tokens"]], config)


def holding(facility_id) -> int:
    return db.session.scalar(
        select(func.count(Reservation.id)).where(
            Reservation.facility_id == facility_id, Reservation.status.in_(("pending", "confirmed"))
        )
    )


@pytest.mark.parametrize("facility, capacity", [("court", 1), ("gym", 7)])
def test_exactly_capacity_bookings_win(db_url, arena, facility, capacity):
    results = rush(db_url, arena, facility)
    outcome = Counter((status, code) for status, code, _ in results)
    assert outcome == {(201, None): capacity, (409, "slot_full"): RACERS - capacity}, outcome
    assert holding(arena[facility]) == capacity
    assert integrity.check() == []


@pytest.mark.parametrize("facility, capacity", [("court", 1), ("gym", 7)])
def test_control_without_the_guard_overbooks(db_url, arena, facility, capacity, counters_unguarded):
    results = rush(db_url, arena, facility)
    wins = sum(1 for status, _, _ in results if status == 201)
    assert wins > capacity, "the race did not overbook without the guard: the test would not catch it"
    assert holding(arena[facility]) == wins
