"""The availability read writes nothing: what is due and not yet run by its job (an offer that
ran out, a draw past its time) is shown as the job will leave it where that is known, else as
it stands; the job (or the next write on the slot) does the writing."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from booking import timeutil
from booking.draw.models import Draw
from booking.extensions import db
from booking.reservations.models import SlotLoad
from booking.waitlist import services as waitlist
from booking.waitlist.models import WaitlistEntry
from tests import factories as f
from tests import world as w

TZ = "Asia/Shanghai"


def in_days(n, hour=19):
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=n)
    return timeutil.local_to_utc(day, hour * 60, TZ)


def iso(instant):
    return timeutil.isoformat_local(instant, TZ)


def as_user(app, username):
    from tests.helpers import ApiClient

    return ApiClient(app).login(username)


def slot_of(client, facility_id, start):
    day = timeutil.local_date(start, TZ).isoformat()
    r = client.get(f"/api/v1/facilities/{facility_id}/availability?date={day}")
    assert r.status_code == 200
    return next(s for s in r.get_json()["slots"] if s["start"] == iso(start))


def held(facility_id, start) -> int:
    return (
        db.session.scalar(select(SlotLoad.held).where(SlotLoad.facility_id == facility_id, SlotLoad.start_at == start))
        or 0
    )


def statuses() -> list:
    db.session.expire_all()
    return [e.status for e in db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id))]


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False)
    f.user("worker3", world.ent)
    return world


def offered(app, world, behind: bool):
    """The court (capacity 1) full, `worker` offered the place (auto_book off), its offer run out;
    with `behind`, worker2 waits behind it."""
    admin, worker = as_user(app, "entadmin"), as_user(app, "worker")
    slot = {"facility_id": world.court.id, "start": iso(in_days(1))}
    first = admin.post("/api/v1/reservations", json=slot).get_json()
    assert worker.post("/api/v1/waitlist", json={**slot, "auto_book": False}).status_code == 201
    if behind:
        assert as_user(app, "worker2").post("/api/v1/waitlist", json=slot).status_code == 201
    assert admin.post(f"/api/v1/reservations/{first['id']}/cancel").status_code == 200
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.status == "offered")
        .values(offer_expires_at=timeutil.utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    return as_user(app, "worker3")


def test_a_run_out_offer_with_nobody_behind_shows_its_place_free_and_writes_nothing(app, world):
    reader = offered(app, world, behind=False)
    s = slot_of(reader, world.court.id, in_days(1))
    assert (s["remaining"], s["bookable"], s["waiting"]) == (1, True, 0)
    assert statuses() == ["offered"] and held(world.court.id, in_days(1)) == 1  # nothing written
    assert waitlist.expire_offers() == 1  # the job
    assert statuses() == ["expired"] and held(world.court.id, in_days(1)) == 0
    s = slot_of(reader, world.court.id, in_days(1))
    assert (s["remaining"], s["bookable"], s["waiting"]) == (1, True, 0)


def test_a_run_out_offer_passes_to_the_next_in_line_in_the_read_as_in_the_job(app, world):
    reader = offered(app, world, behind=True)
    s = slot_of(reader, world.court.id, in_days(1))
    assert (s["remaining"], s["bookable"], s["reason"], s["waiting"]) == (0, False, "slot_full", 0)
    assert statuses() == ["offered", "waiting"]  # nothing written
    assert waitlist.expire_offers() == 1
    assert statuses() == ["expired", "booked"]
    s = slot_of(reader, world.court.id, in_days(1))
    assert (s["remaining"], s["reason"], s["waiting"]) == (0, "slot_full", 0)


def test_a_waiting_line_is_counted(app, world):
    admin = as_user(app, "entadmin")
    slot = {"facility_id": world.court.id, "start": iso(in_days(1))}
    assert admin.post("/api/v1/reservations", json=slot).status_code == 201
    for name in ("worker", "worker2"):
        assert as_user(app, name).post("/api/v1/waitlist", json=slot).status_code == 201
    s = slot_of(as_user(app, "worker3"), world.court.id, in_days(1))
    assert (s["remaining"], s["reason"], s["waiting"]) == (0, "slot_full", 2)
    assert slot_of(as_user(app, "worker3"), world.court.id, in_days(1, 18))["waiting"] == 0


def test_a_draw_past_its_time_shows_pending_until_it_runs_and_a_booking_runs_it(app, world):
    world.gym.allocation = "draw"
    db.session.commit()
    start = in_days(3)
    slot = {"facility_id": world.gym.id, "start": iso(start)}
    applied = as_user(app, "worker").post("/api/v1/applications", json=slot)
    assert applied.status_code == 201
    draw_id = applied.get_json()["draw_id"]
    db.session.execute(update(Draw).where(Draw.id == draw_id).values(draw_at=timeutil.utcnow() - timedelta(minutes=1)))
    db.session.commit()
    s = slot_of(as_user(app, "worker2"), world.gym.id, start)
    assert (s["bookable"], s["reason"], s["applicants"], s["draw_id"]) == (False, "draw_pending", 1, draw_id)
    db.session.expire_all()
    assert db.session.get(Draw, draw_id).status == "open"  # the read ran nothing
    r = as_user(app, "worker2").post("/api/v1/reservations", json=slot)  # runs the draw first, then books
    assert r.status_code == 201
    db.session.expire_all()
    assert db.session.get(Draw, draw_id).status == "done"
    assert slot_of(as_user(app, "worker3"), world.gym.id, start).get("draw_at") is None
