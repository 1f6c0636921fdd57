"""The reservation API of the contract, and the nasty inputs it must refuse without changing anything."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.quotas.models import EnterpriseWeekUsage, WorkerWeekUsage
from booking.reservations.models import Notification, Reservation, SlotLoad
from tests import world as w
from tests.world import iso, tomorrow_at

TZ = "Asia/Shanghai"


@pytest.fixture
def world(ctx):
    return w.build()


def as_user(app, username):
    from tests.helpers import ApiClient

    return ApiClient(app).login(username)


def snapshot():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Reservation, SlotLoad, EnterpriseWeekUsage, WorkerWeekUsage, Notification)
    ) + (
        db.session.scalar(select(func.coalesce(func.sum(SlotLoad.held), 0))),
        tuple(db.session.scalars(select(Reservation.status).order_by(Reservation.id))),
    )


def test_facilities_lists_only_what_the_caller_may_book(app, world):
    worker = as_user(app, "worker").get("/api/v1/facilities").get_json()
    assert {f["name"] for f in worker} == {"羽毛球场 1 号", "健身房"}
    court = next(f for f in worker if f["name"] == "羽毛球场 1 号")
    assert court["venue"]["timezone"] == TZ and court["host"]["name"] == "吉利春晓"
    assert court["requires_approval"] is True and court["capacity"] == 1 and court["slot_minutes"] == 60
    staff = as_user(app, "other_staff").get("/api/v1/facilities").get_json()
    assert [f["name"] for f in staff] == ["篮球场"]


def test_availability_contract(app, world):
    api = as_user(app, "worker")
    day = timeutil.local_date(tomorrow_at(), TZ)
    body = api.get(f"/api/v1/facilities/{world.gym.id}/availability?date={day}").get_json()
    assert body["facility_id"] == world.gym.id and body["date"] == day.isoformat() and body["timezone"] == TZ
    assert len(body["slots"]) == 14
    first = body["slots"][0]
    assert first["start"] == f"{day}T08:00:00+08:00" and first["end"] == f"{day}T09:00:00+08:00"
    assert (first["capacity"], first["remaining"], first["bookable"]) == (5, 5, True)
    api.post(
        "/api/v1/reservations", json={"facility_id": world.gym.id, "start": f"{day}T19:00:00+08:00", "party_size": 2}
    )
    slot = api.get(f"/api/v1/facilities/{world.gym.id}/availability?date={day}").get_json()["slots"][11]
    assert (slot["start"][11:16], slot["remaining"]) == ("19:00", 3)


def test_closed_day_has_no_slots(app, ctx):
    from tests import factories as f

    host, ent = f.org("H"), f.org("E")
    weekday_only = f.facility(f.venue(host), days=range(5))
    f.agreement(host, ent)
    f.user("user1", ent)
    api = as_user(app, "user1")
    day = timeutil.local_date(timeutil.utcnow(), TZ)
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    body = api.get(f"/api/v1/facilities/{weekday_only.id}/availability?date={saturday}").get_json()
    assert body["slots"] == []


def test_blacked_out_slot_is_not_bookable(app, world):
    from booking.facilities.models import Blackout

    db.session.add(Blackout(facility_id=world.court.id, starts_at=tomorrow_at(19), ends_at=tomorrow_at(20)))
    db.session.commit()
    day = timeutil.local_date(tomorrow_at(), TZ)
    slots = (
        as_user(app, "worker").get(f"/api/v1/facilities/{world.court.id}/availability?date={day}").get_json()["slots"]
    )
    by_hour = {s["start"][11:13]: s for s in slots}
    assert by_hour["19"]["bookable"] is False and by_hour["20"]["bookable"] is True


def test_book_show_list_cancel(app, world):
    api = as_user(app, "worker")
    r = api.post(
        "/api/v1/reservations",
        json={
            "facility_id": world.court.id,
            "start": iso(tomorrow_at()),
            "party_size": 3,
            "unknown": "ignored",
            "status": "confirmed",
        },
    )
    assert r.status_code == 201
    body = r.get_json()
    assert body["status"] == "pending"  # unknown fields are never applied
    assert body["start"] == iso(tomorrow_at()) and body["end"] == iso(tomorrow_at(20))
    assert body["user"]["username"] == "worker" and body["enterprise"]["name"] == "海顺模具"
    assert body["party_size"] == 3 and body["places"] == 1
    assert api.get(f"/api/v1/reservations/{body['id']}").get_json()["id"] == body["id"]
    listing = api.get("/api/v1/reservations").get_json()
    assert [i["id"] for i in listing["items"]] == [body["id"]] and listing["next"] is None
    r = api.post(f"/api/v1/reservations/{body['id']}/cancel")
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"


def test_staff_approve_and_reject(app, world):
    worker, staff = as_user(app, "worker"), as_user(app, "staff")
    a = worker.post(
        "/api/v1/reservations", json={"facility_id": world.court.id, "start": iso(tomorrow_at())}
    ).get_json()
    b = worker.post(
        "/api/v1/reservations", json={"facility_id": world.court.id, "start": iso(tomorrow_at(20))}
    ).get_json()
    assert staff.post(f"/api/v1/reservations/{a['id']}/approve").get_json()["status"] == "confirmed"
    r = staff.post(f"/api/v1/reservations/{b['id']}/reject", json={"reason": "场地维修"})
    assert r.get_json()["status"] == "rejected" and r.get_json()["reason"] == "场地维修"
    assert [i["id"] for i in staff.get("/api/v1/reservations").get_json()["items"]] == [b["id"], a["id"]]
    # staff cancel with a reason
    r = staff.post(f"/api/v1/reservations/{a['id']}/cancel", json={"reason": "设备检修"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"


def test_scoping_across_hosts_and_enterprises(app, world):
    worker = as_user(app, "worker")
    rid = worker.post(
        "/api/v1/reservations", json={"facility_id": world.court.id, "start": iso(tomorrow_at())}
    ).get_json()["id"]
    other_staff, outsider, worker2 = (as_user(app, n) for n in ("other_staff", "outsider", "worker2"))
    for api in (other_staff, outsider, worker2):
        assert api.get(f"/api/v1/reservations/{rid}").status_code == 404
        assert api.post(f"/api/v1/reservations/{rid}/cancel").status_code in (404, 422)
    assert other_staff.post(f"/api/v1/reservations/{rid}/approve").status_code == 404
    assert worker.post(f"/api/v1/reservations/{rid}/approve").status_code == 403
    assert outsider.get(f"/api/v1/facilities/{world.court.id}/availability?date=2026-11-25").status_code == 404
    assert worker.get(f"/api/v1/facilities/{world.other_court.id}/availability?date=2026-11-25").status_code == 404
    assert other_staff.get("/api/v1/reservations?scope=host").get_json()["items"] == []
    assert db.session.get(Reservation, rid).status == "pending"


def test_conflict_codes(app, world):
    worker, worker2 = as_user(app, "worker"), as_user(app, "worker2")
    worker.post("/api/v1/reservations", json={"facility_id": world.court.id, "start": iso(tomorrow_at())})
    r = worker2.post("/api/v1/reservations", json={"facility_id": world.court.id, "start": iso(tomorrow_at())})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "slot_full"
    r = worker.post("/api/v1/reservations", json={"facility_id": world.gym.id, "start": iso(tomorrow_at())})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "overlap"
    far = timeutil.local_to_utc(timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=9), 19 * 60, TZ)
    r = worker.post("/api/v1/reservations", json={"facility_id": world.gym.id, "start": iso(far)})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "outside_window"
    r = worker.post("/api/v1/reservations", json={"facility_id": world.gym.id, "start": iso(tomorrow_at(23))})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "closed"
    r = worker.post(
        "/api/v1/reservations",
        json={"facility_id": world.gym.id, "start": iso(tomorrow_at(3))},
        headers={"Accept-Language": "en"},
    )
    assert r.get_json()["error"]["message"] == "The facility is not open at that time."


def test_too_late_to_cancel(app, world):
    from booking.reservations import services

    soon = timeutil.utcnow() + timedelta(minutes=90)
    r = services.book(world.worker, world.gym.id, tomorrow_at(), now=timeutil.utcnow())
    # Time passes: the booking now starts in 90 minutes, inside the 2-hour cutoff.
    r.start_at, r.end_at = soon, soon + timedelta(hours=1)
    db.session.commit()
    resp = as_user(app, "worker").post(f"/api/v1/reservations/{r.id}/cancel")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "too_late_to_cancel"


BAD_BOOKINGS = [
    ({}, 422),
    ({"facility_id": "1"}, 422),
    ({"facility_id": None, "start": "x"}, 422),
    ({"facility_id": True, "start": "2026-11-25T19:00"}, 422),
    ({"facility_id": -1, "start": "2026-11-25T19:00"}, 422),
    ({"facility_id": 2**40, "start": "2026-11-25T19:00"}, 422),
    ({"facility_id": 1.5, "start": "2026-11-25T19:00"}, 422),
    ({"facility_id": "GYM", "start": None}, 422),
    ({"facility_id": [1], "start": "2026-11-25T19:00"}, 422),
    ({"facility_id": {"id": 1}, "start": "2026-11-25T19:00"}, 422),
    ("START_ONLY_GYM", 400),
    ("GYM_BAD_START:tomorrow 7pm", 400),
    ("GYM_BAD_START:2026-13-45T19:00", 400),
    ("GYM_BAD_START:", 400),
    ("GYM_BAD_START:" + "9" * 500, 400),
    ("GYM_BAD_START:2026-11-25", 409),
    ("GYM_START_INT", 400),
    ("GYM_PARTY:0", 422),
    ("GYM_PARTY:-3", 422),
    ("GYM_PARTY:6", 422),
    ("GYM_PARTY:'2'", 422),
    ("GYM_PARTY:1.5", 422),
    ("GYM_PARTY:true", 422),
    ("GYM_PARTY:null", 422),
    ("GYM_PARTY:999999999999", 422),
    ("OTHER_HOST", 404),
    ("MISSING_FACILITY", 404),
]


def _body(spec, world):
    import json

    if isinstance(spec, dict):
        return spec
    gym, start = world.gym.id, iso(tomorrow_at())
    if spec == "START_ONLY_GYM":
        return {"facility_id": gym}
    if spec.startswith("GYM_BAD_START:"):
        return {"facility_id": gym, "start": spec.split(":", 1)[1]}
    if spec == "GYM_START_INT":
        return {"facility_id": gym, "start": 1732532400}
    if spec.startswith("GYM_PARTY:"):
        return {"facility_id": gym, "start": start, "party_size": json.loads(spec.split(":", 1)[1].replace("'", '"'))}
    if spec == "OTHER_HOST":
        return {"facility_id": world.other_court.id, "start": start}
    if spec == "MISSING_FACILITY":
        return {"facility_id": 987654, "start": start}
    raise AssertionError(spec)


@pytest.mark.parametrize("spec, status", BAD_BOOKINGS)
def test_bad_booking_requests_change_nothing(app, world, spec, status):
    api = as_user(app, "worker")
    before = snapshot()
    r = api.post("/api/v1/reservations", json=_body(spec, world))
    assert r.status_code == status, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] and err["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "raw, content_type",
    [
        (b"{not json", "application/json"),
        (b"[1,2,3]", "application/json"),
        (b'"str"', "application/json"),
        (b"facility_id=1", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/json"),
        (b"null", "application/json"),
    ],
)
def test_malformed_bodies_are_400(app, world, raw, content_type):
    api = as_user(app, "worker")
    before = snapshot()
    r = api.http.post(
        "/api/v1/reservations", data=raw, content_type=content_type, headers={"Authorization": f"Bearer {api.token}"}
    )
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
    assert snapshot() == before


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?date=",
        "?date=tomorrow",
        "?date=2026-02-30",
        "?date=2026-1-1",
        "?date=99999-01-01",
        "?date=2026-11-25T00:00",
    ],
)
def test_bad_availability_dates_are_400(app, world, query):
    r = as_user(app, "worker").get(f"/api/v1/facilities/{world.gym.id}/availability{query}")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("query", ["?status=bogus", "?scope=everyone", "?before_id=abc", "?before_id=-1"])
def test_bad_list_filters_are_400(app, world, query):
    r = as_user(app, "worker").get(f"/api/v1/reservations{query}")
    assert r.status_code == 400


@pytest.mark.parametrize("body", [{"reason": 5}, {"reason": "x" * 256}, {"reason": ["a"]}])
def test_bad_reject_reasons_are_422_and_change_nothing(app, world, body):
    rid = (
        as_user(app, "worker")
        .post("/api/v1/reservations", json={"facility_id": world.court.id, "start": iso(tomorrow_at())})
        .get_json()["id"]
    )
    before = snapshot()
    r = as_user(app, "staff").post(f"/api/v1/reservations/{rid}/reject", json=body)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_reason"
    assert snapshot() == before


def test_pagination(app, world):
    from booking.reservations import services
    from tests import factories as f

    for i in range(55):  # 14 slots a day, 5 places each: room for all
        services.book(f.user(f"pag{i}", world.ent), world.gym.id, tomorrow_at(8 + i % 14), now=timeutil.utcnow())
    staff = as_user(app, "staff")
    first = staff.get("/api/v1/reservations").get_json()
    assert len(first["items"]) == 50 and first["next"]
    second = staff.get(f"/api/v1/reservations?before_id={first['next']}").get_json()
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 55 and second["next"] is None
