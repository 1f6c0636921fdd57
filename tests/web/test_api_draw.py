"""The fair draw's API (摇号): exact statuses and codes; a draw read after its time runs first."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from booking import timeutil
from booking.draw.models import Application, Draw
from booking.extensions import db
from booking.reservations.models import Reservation
from tests import factories as f
from tests import world as w
from tests.world import in_days, iso

TZ = "Asia/Shanghai"


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False, gym_capacity=1)
    world.gym.allocation = "draw"
    db.session.commit()
    f.user("worker3", world.ent)
    return world


def as_user(app, username):
    from tests.helpers import ApiClient

    return ApiClient(app).login(username)


def code(response):
    return response.status_code, (response.get_json() or {}).get("error", {}).get("code")


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_facilities_show_their_allocation(app, world):
    facilities = {x["id"]: x for x in as_user(app, "worker").get("/api/v1/facilities").get_json()}
    assert facilities[world.gym.id]["allocation"] == "draw"
    assert facilities[world.gym.id]["draw_time"] == {"days_before": 2, "at_minute": 720}
    assert (facilities[world.court.id]["allocation"], facilities[world.court.id]["draw_time"]) == ("first_come", None)


def test_apply_then_the_draw_runs_when_read_after_its_time(app, world):
    worker, worker2, staff, outsider = (as_user(app, u) for u in ("worker", "worker2", "staff", "outsider"))
    slot = {"facility_id": world.gym.id, "start": iso(in_days(3))}
    draw_at = iso(in_days(1, 12))
    r = worker.post("/api/v1/reservations", json=slot)
    assert code(r) == (409, "draw_pending") and count(Reservation) == 0
    assert r.get_json()["error"]["draw_at"] == draw_at
    day = timeutil.local_date(in_days(3), TZ).isoformat()
    slots = worker.get(f"/api/v1/facilities/{world.gym.id}/availability?date={day}").get_json()["slots"]
    evening = next(s for s in slots if s["start"] == iso(in_days(3)))
    assert (evening["draw_at"], evening["applicants"], evening["bookable"], evening["reason"]) == (
        draw_at,
        0,
        False,
        "draw_pending",
    )

    r = worker.post("/api/v1/applications", json=slot)
    assert r.status_code == 201
    body = r.get_json()
    assert (body["status"], body["draw_at"], body["start"]) == ("applied", draw_at, iso(in_days(3)))
    draw_id = body["draw_id"]
    assert code(worker.post("/api/v1/applications", json=slot)) == (409, "already_applied")
    assert worker2.post("/api/v1/applications", json=slot).status_code == 201
    assert code(outsider.post("/api/v1/applications", json=slot)) == (404, "not_found")
    assert code(staff.post("/api/v1/applications", json=slot)) == (403, "not_a_worker")
    assert code(
        worker.post("/api/v1/applications", json={"facility_id": world.court.id, "start": iso(in_days(3))})
    ) == (409, "not_a_draw")
    assert code(worker.post("/api/v1/applications", json={"facility_id": world.gym.id})) == (400, "bad_request")
    slots = worker.get(f"/api/v1/facilities/{world.gym.id}/availability?date={day}").get_json()["slots"]
    assert next(s for s in slots if s["start"] == iso(in_days(3)))["applicants"] == 2

    shown = worker.get(f"/api/v1/draws/{draw_id}")
    assert shown.status_code == 200
    d = shown.get_json()
    assert (d["status"], d["seed"], d["order"], d["winners"], d["date"]) == ("open", None, [], [], day)
    assert len(d["seed_sha256"]) == 64 and len(d["applications"]) == 2
    assert staff.get(f"/api/v1/draws/{draw_id}").status_code == 200
    assert code(outsider.get(f"/api/v1/draws/{draw_id}")) == (404, "not_found")
    assert code(as_user(app, "other_staff").get(f"/api/v1/draws/{draw_id}")) == (404, "not_found")

    # Time passes: the draw time is now behind us. The first read runs it.
    db.session.execute(update(Draw).where(Draw.id == draw_id).values(draw_at=timeutil.utcnow() - timedelta(minutes=1)))
    db.session.commit()
    d = staff.get(f"/api/v1/draws/{draw_id}").get_json()
    assert d["status"] == "done" and len(d["seed"]) == 64 and len(d["order"]) == 2 and len(d["winners"]) == 1
    winner = d["winners"][0]
    mine = {
        a["id"]: a
        for a in worker.get("/api/v1/applications").get_json()["items"]
        + worker2.get("/api/v1/applications").get_json()["items"]
    }
    assert sorted(a["status"] for a in mine.values()) == ["waitlisted", "won"]
    assert mine[winner["application_id"]]["reservation_id"] == winner["reservation_id"]
    assert mine[d["order"][1]]["waitlist_id"] is not None
    own = worker.get("/api/v1/applications").get_json()["items"][0]["id"]
    assert code(worker.post(f"/api/v1/applications/{own}/cancel")) == (409, "not_cancellable")
    # The draw has run: the slot is first-come again (and full).
    assert code(as_user(app, "worker3").post("/api/v1/reservations", json=slot)) == (409, "slot_full")


def test_cancel_an_application(app, world):
    worker = as_user(app, "worker")
    a = worker.post("/api/v1/applications", json={"facility_id": world.gym.id, "start": iso(in_days(3))}).get_json()
    assert code(as_user(app, "worker2").post(f"/api/v1/applications/{a['id']}/cancel")) == (404, "not_found")
    r = worker.post(f"/api/v1/applications/{a['id']}/cancel")
    assert (r.status_code, r.get_json()["status"]) == (200, "cancelled")
    assert code(worker.post(f"/api/v1/applications/{a['id']}/cancel")) == (409, "not_cancellable")
    assert db.session.get(Application, a["id"]).status == "cancelled"


def test_an_application_retried_with_its_idempotency_key_is_made_once(app, world):
    worker = as_user(app, "worker")
    slot = {"facility_id": world.gym.id, "start": iso(in_days(3))}
    key = {"Idempotency-Key": "apply-once-0001"}
    first = worker.post("/api/v1/applications", json=slot, headers=key)
    again = worker.post("/api/v1/applications", json=slot, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count(Application) == 1
