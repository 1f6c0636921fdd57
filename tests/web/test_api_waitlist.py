"""The waitlist API of the contract: exact statuses and codes, and nothing changed on a refusal."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.reservations.models import Reservation, SlotLoad
from booking.waitlist.models import WaitlistEntry
from tests import world as w
from tests.world import iso, tomorrow_at

TZ = "Asia/Shanghai"


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False)


def as_user(app, username):
    from tests.helpers import ApiClient

    return ApiClient(app).login(username)


def entries() -> int:
    return db.session.scalar(select(func.count(WaitlistEntry.id)))


def held(facility_id, start) -> int:
    return (
        db.session.scalar(select(SlotLoad.held).where(SlotLoad.facility_id == facility_id, SlotLoad.start_at == start))
        or 0
    )


def code(response):
    return response.status_code, (response.get_json() or {}).get("error", {}).get("code")


def test_join_then_a_cancel_books_the_next_in_line(app, world):
    admin, worker = as_user(app, "entadmin"), as_user(app, "worker")
    slot = {"facility_id": world.court.id, "start": iso(tomorrow_at())}
    assert code(worker.post("/api/v1/waitlist", json=slot)) == (409, "not_full")
    first = admin.post("/api/v1/reservations", json=slot).get_json()
    r = worker.post("/api/v1/waitlist", json=slot)
    assert r.status_code == 201
    body = r.get_json()
    assert {
        k: body[k]
        for k in (
            "status",
            "facility_id",
            "start",
            "end",
            "party_size",
            "auto_book",
            "position",
            "offer_expires_at",
            "reservation_id",
        )
    } == {
        "status": "waiting",
        "facility_id": world.court.id,
        "start": iso(tomorrow_at()),
        "end": iso(tomorrow_at(20)),
        "party_size": 1,
        "auto_book": True,
        "position": 1,
        "offer_expires_at": None,
        "reservation_id": None,
    }
    day = timeutil.local_date(tomorrow_at(), TZ)
    slots = admin.get(f"/api/v1/facilities/{world.court.id}/availability?date={day}").get_json()["slots"]
    assert next(s for s in slots if s["start"] == iso(tomorrow_at()))["waiting"] == 1
    assert next(s for s in slots if s["start"] == iso(tomorrow_at(18)))["waiting"] == 0
    assert code(worker.post("/api/v1/waitlist", json=slot)) == (409, "already_waiting")
    assert code(admin.post("/api/v1/waitlist", json=slot)) == (409, "overlap")
    assert admin.post(f"/api/v1/reservations/{first['id']}/cancel").status_code == 200
    mine = worker.get("/api/v1/waitlist").get_json()["items"]
    assert [(e["id"], e["status"]) for e in mine] == [(body["id"], "booked")]
    booked = worker.get(f"/api/v1/reservations/{mine[0]['reservation_id']}")
    assert booked.status_code == 200 and booked.get_json()["status"] == "confirmed"


def test_offer_accept_and_the_refusals_around_it(app, world):
    admin, worker, worker2 = as_user(app, "entadmin"), as_user(app, "worker"), as_user(app, "worker2")
    slot = {"facility_id": world.court.id, "start": iso(tomorrow_at())}
    first = admin.post("/api/v1/reservations", json=slot).get_json()
    offer = worker.post("/api/v1/waitlist", json={**slot, "auto_book": False}).get_json()
    other = worker2.post("/api/v1/waitlist", json=slot).get_json()
    assert code(worker.post(f"/api/v1/waitlist/{offer['id']}/accept")) == (409, "not_offered")
    assert admin.post(f"/api/v1/reservations/{first['id']}/cancel").status_code == 200
    listed = worker.get("/api/v1/waitlist").get_json()["items"][0]
    assert listed["status"] == "offered" and listed["offer_expires_at"] is not None
    assert held(world.court.id, tomorrow_at()) == 1
    assert code(worker2.post(f"/api/v1/waitlist/{offer['id']}/accept")) == (404, "not_found")
    accepted = worker.post(f"/api/v1/waitlist/{offer['id']}/accept")
    assert accepted.status_code == 201
    assert accepted.get_json()["status"] == "confirmed" and accepted.get_json()["user"]["username"] == "worker"
    assert held(world.court.id, tomorrow_at()) == 1
    assert code(worker.post(f"/api/v1/waitlist/{offer['id']}/accept")) == (409, "not_offered")
    left = worker2.post(f"/api/v1/waitlist/{other['id']}/cancel")
    assert left.status_code == 200 and left.get_json()["status"] == "cancelled"
    assert code(worker2.post(f"/api/v1/waitlist/{other['id']}/cancel")) == (409, "not_waiting")


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"start": "2026-11-25T19:00:00+08:00"}, (422, "invalid_facility_id")),
        ({"facility_id": "1", "start": "x"}, (422, "invalid_facility_id")),
        ({"facility_id": 1, "start": "tomorrow"}, (400, "bad_request")),
        ({"facility_id": 1, "start": "2026-11-25T19:00:00+08:00", "auto_book": "yes"}, (422, "invalid_auto_book")),
        ({"facility_id": 1, "start": "2026-11-25T19:00:00+08:00", "party_size": 0}, (422, "invalid_party_size")),
    ],
)
def test_bad_input_changes_nothing(app, world, body, expected):
    body = {**body, "facility_id": world.court.id} if body.get("facility_id") == 1 else body
    if "start" in body and body["start"].startswith("2026"):
        body["start"] = iso(tomorrow_at())
    admin = as_user(app, "entadmin")
    admin.post("/api/v1/reservations", json={"facility_id": world.court.id, "start": iso(tomorrow_at())})
    assert code(as_user(app, "worker").post("/api/v1/waitlist", json=body)) == expected
    assert entries() == 0


def test_not_shared_is_404_and_unsigned_is_401(app, world):
    slot = {"facility_id": world.court.id, "start": iso(tomorrow_at())}
    as_user(app, "entadmin").post("/api/v1/reservations", json=slot)
    assert code(as_user(app, "outsider").post("/api/v1/waitlist", json=slot)) == (404, "not_found")
    from tests.helpers import ApiClient

    assert ApiClient(app).post("/api/v1/waitlist", json=slot).status_code == 401
    assert ApiClient(app).get("/api/v1/waitlist").status_code == 401
    assert entries() == 0


def test_outside_window_and_closed_are_refused_like_a_booking(app, world):
    api = as_user(app, "worker")
    far = {"facility_id": world.court.id, "start": iso(tomorrow_at() + timedelta(days=30))}
    assert code(api.post("/api/v1/waitlist", json=far)) == (409, "outside_window")
    night = {"facility_id": world.court.id, "start": iso(tomorrow_at(23))}
    assert code(api.post("/api/v1/waitlist", json=night)) == (409, "closed")
    assert entries() == 0


def test_a_retried_join_with_the_same_key_answers_the_same(app, world):
    slot = {"facility_id": world.court.id, "start": iso(tomorrow_at())}
    as_user(app, "entadmin").post("/api/v1/reservations", json=slot)
    api = as_user(app, "worker")
    first = api.post("/api/v1/waitlist", json=slot, headers={"Idempotency-Key": "join-1"})
    again = api.post("/api/v1/waitlist", json=slot, headers={"Idempotency-Key": "join-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.get_data() == again.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert entries() == 1


def test_openapi_documents_the_waitlist(app, world):
    doc = as_user(app, "worker").get("/api/v1/openapi.json").get_json()
    assert {"/waitlist", "/waitlist/{entry_id}/accept", "/waitlist/{entry_id}/cancel"} <= set(doc["paths"])
    assert "waiting" in doc["components"]["schemas"]["Availability"]["properties"]["slots"]["items"]["properties"]
    assert db.session.scalar(select(func.count(Reservation.id))) == 0
