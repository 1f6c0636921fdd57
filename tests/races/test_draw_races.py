"""The draw runs exactly once, real processes on SQLite and PostgreSQL.

Two jobs (run_due), two slot bookers (a booking refused draw_pending runs it) and two applicants reading
the draw (GET /draws/<id> runs it first) all at once, after the draw time: one of them runs it
(the guarded UPDATE open → running), the others find it taken; the winners are booked once,
quota charged once, the rest waitlisted once, the published result intact.
Control: the claim's status guard off (from the test side): every runner claims the draw and
runs it again, overwriting the published result.
"""

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from booking import integrity, timeutil
from booking.accounts.models import User
from booking.draw import services
from booking.draw.models import Application, Draw
from booking.extensions import db
from booking.quotas.models import EnterpriseWeekUsage
from booking.reservations.models import Reservation
from booking.waitlist.models import WaitlistEntry
from tests import factories as f
from tests.races.conftest import without_status_guard
from tests.races.harness import together

pytestmark = pytest.mark.race
CAPACITY, APPLICANTS = 3, 8
TZ = "Asia/Shanghai"


@pytest.fixture
def draw(ctx):
    """An open draw of a gym slot four days ahead with 8 applications from two enterprises."""
    host, ent, ent2 = f.org("Host"), f.org("Ent", headcount=30), f.org("Ent2", headcount=10)
    gym = f.facility(f.venue(host), "Gym", kind="gym", capacity=CAPACITY, allocation="draw")
    f.agreement(host, ent)
    f.agreement(host, ent2)
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=4)
    start = timeutil.local_to_utc(day, 19 * 60, TZ)
    apps = [services.apply(f.user(f"applicant{i}", ent if i % 2 else ent2), gym.id, start) for i in range(APPLICANTS)]
    d = db.session.get(Draw, apps[0].draw_id)
    after = d.draw_at + timedelta(minutes=1)
    out = {"draw": d.id, "gym": gym.id, "after": after, "minutes": gym.slot_minutes}
    db.session.remove()
    db.engine.dispose()  # no pooled connection may cross a fork
    return out


def _job(at):
    return services.run_due(at)


def _slot_reader(facility_id, at):
    return services.run_due(at, facility_id=facility_id)


def _draw_reader(username, draw_id, at):
    user = db.session.scalar(select(User).where(User.username == username))
    return services.get_for(user, draw_id, at).status


def _calls(draw):
    at = draw["after"]
    return [
        partial(_job, at),
        partial(_job, at),
        partial(_slot_reader, draw["gym"], at),
        partial(_slot_reader, draw["gym"], at),
        partial(_draw_reader, "applicant0", draw["draw"], at),
        partial(_draw_reader, "applicant1", draw["draw"], at),
    ]


def test_runners_and_readers_at_once_draw_once(db_url, draw):
    results = together(db_url, _calls(draw))
    runs, reads = results[:4], results[4:]
    assert all(isinstance(r, int) for r in runs), results
    assert sum(runs) <= 1 and reads == ["done", "done"], results
    db.session.expire_all()
    d = db.session.get(Draw, draw["draw"])
    assert d.status == "done" and sorted(d.result["order"]) == sorted(
        db.session.scalars(select(Application.id).where(Application.draw_id == d.id)).all()
    )
    assert len(d.result["winners"]) == CAPACITY
    statuses = dict(
        db.session.execute(select(Application.status, func.count(Application.id)).group_by(Application.status))
        .tuples()
        .all()
    )
    assert statuses == {"won": CAPACITY, "waitlisted": APPLICANTS - CAPACITY}
    assert db.session.scalar(select(func.count(Reservation.id))) == CAPACITY
    assert db.session.scalar(select(func.count(WaitlistEntry.id))) == APPLICANTS - CAPACITY
    assert db.session.scalar(select(func.sum(EnterpriseWeekUsage.minutes_used))) == CAPACITY * draw["minutes"]
    assert services.rerun(d) == []
    assert integrity.check(now=draw["after"]) == []


@pytest.fixture
def unguarded_claim(monkeypatch):
    without_status_guard(monkeypatch, services)


def test_control_without_the_status_guard_the_draw_runs_again(db_url, draw, unguarded_claim):
    results = together(db_url, _calls(draw))
    runs = results[:4]
    assert all(isinstance(r, int) for r in runs), results
    assert sum(runs) >= 2, results  # claimed and run by more than one
    db.session.expire_all()
    d = db.session.get(Draw, draw["draw"])
    # A later run found no application still 'applied' and published an empty draw over the real one.
    assert d.result["order"] == [] and d.result["winners"] == []
