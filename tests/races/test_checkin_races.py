"""50 scans of one code at the same moment (two staff phones, retries): exactly one `ok`.

The control switches the guard off from the test side: the scan's write transaction takes no
lock up front (SQLite) and its UPDATE no longer requires the booking to be still `confirmed`;
then several scans each answer `ok` for the one booking.
"""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.accounts.services import issue_token
from booking.checkin import services as checkin
from booking.checkin.models import CheckinEvent
from booking.checkin.services import token_for
from booking.extensions import db
from booking.reservations import services as bookings
from booking.reservations.models import Reservation
from tests import factories as f
from tests.races.conftest import unserialize, without_status_guard
from tests.races.harness import race

pytestmark = pytest.mark.race


@pytest.fixture
def door(ctx):
    host, ent = f.org("Host"), f.org("Ent")
    court = f.facility(f.venue(host), "Court", opens=0, closes=24 * 60, min_notice_minutes=0)
    f.agreement(host, ent)
    worker = f.user("player", ent)
    f.user("door1", roles=[("host_staff", host)])
    f.user("door2", roles=[("host_staff", host)])
    now = timeutil.utcnow()
    day = timeutil.local_date(now, "Asia/Shanghai") + timedelta(days=1)
    r = bookings.book(worker, court.id, timeutil.local_to_utc(day, 19 * 60, "Asia/Shanghai"), now=now)
    # Time passes: the booking starts in 5 minutes, so its check-in window is open now.
    r.start_at, r.end_at = now + timedelta(minutes=5), now + timedelta(minutes=65)
    db.session.commit()
    token = token_for(r)
    tokens = [issue_token("door1", f.PASSWORD), issue_token("door2", f.PASSWORD)]
    rid = r.id
    db.session.remove()
    db.engine.dispose()
    return rid, token, tokens


def test_fifty_simultaneous_scans_one_ok(db_url, door):
    rid, token, staff_tokens = door
    calls = [(staff_tokens[i % 2], "POST", "/api/v1/checkins", {"code": token}) for i in range(50)]
    results = Counter(result for _, _, result in race(db_url, calls))
    assert results == {"ok": 1, "already_checked_in": 49}, results
    assert db.session.get(Reservation, rid).status == "checked_in"
    assert db.session.scalar(select(func.count(CheckinEvent.id))) == 50


def test_control_without_the_guard_several_scans_say_ok(db_url, door, monkeypatch):
    unserialize(monkeypatch, checkin)
    without_status_guard(monkeypatch, checkin, pause=0.3)
    rid, token, staff_tokens = door
    calls = [(staff_tokens[i % 2], "POST", "/api/v1/checkins", {"code": token}) for i in range(50)]
    results = Counter(result for _, _, result in race(db_url, calls))
    assert results["ok"] > 1, results
