"""GET /me/quota and the agreements API."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.quotas.models import SharingAgreement
from tests import world as w

TZ = "Asia/Shanghai"


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False, hours=8, per_worker=2)
    world.host_admin = __import__("tests.factories", fromlist=["user"]).user(
        "hostadmin", roles=[("host_admin", world.host)]
    )
    return world


def as_user(app, username):
    from tests.helpers import ApiClient

    return ApiClient(app).login(username)


def tomorrow_iso(hour=19):
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    return timeutil.isoformat_local(timeutil.local_to_utc(day, hour * 60, TZ), TZ)


def test_me_quota_contract(app, world):
    api = as_user(app, "worker")
    api.post("/api/v1/reservations", json={"facility_id": world.gym.id, "start": tomorrow_iso()})
    day = tomorrow_iso()[:10]
    body = api.get(f"/api/v1/me/quota?date={day}").get_json()
    assert body["enterprise"] == {"id": world.ent.id, "name": "海顺模具"}
    year, week, _ = timeutil.local_date(timeutil.utcnow(), TZ).__class__.fromisoformat(day).isocalendar()
    assert body["week"] == f"{year}-W{week:02d}"
    (host,) = body["hosts"]
    assert host == {
        "host": {"id": world.host.id, "name": "吉利春晓"},
        "hours_limit": 8,
        "hours_used": 1,
        "bookings_per_worker": 2,
        "my_bookings": 1,
        "suspended_until": None,
    }


def test_me_quota_refuses_bad_dates_and_non_workers(app, world):
    assert as_user(app, "worker").get("/api/v1/me/quota?date=nope").status_code == 400
    assert as_user(app, "staff").get("/api/v1/me/quota").status_code == 403


def test_quota_exceeded_says_what_is_left(app, world):
    world.agreement.minutes_per_week = 60
    db.session.commit()
    api = as_user(app, "worker")
    assert (
        api.post("/api/v1/reservations", json={"facility_id": world.gym.id, "start": tomorrow_iso()}).status_code == 201
    )
    r = as_user(app, "worker2").post(
        "/api/v1/reservations", json={"facility_id": world.gym.id, "start": tomorrow_iso(20)}
    )
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert err["code"] == "quota_exceeded" and err["minutes_left"] == 0 and "0" in err["message"]


def test_host_admin_creates_and_changes_agreements(app, world):
    admin = as_user(app, "hostadmin")
    r = admin.post(
        "/api/v1/agreements",
        json={
            "host_id": world.host.id,
            "enterprise_id": world.other_ent.id,
            "facility_ids": [world.gym.id],
            "hours_per_week": 2.5,
            "bookings_per_worker": 1,
            "valid_from": "2026-01-01",
        },
    )
    assert r.status_code == 201, r.get_json()
    a = r.get_json()
    assert (a["hours_per_week"], a["facility_ids"], a["enterprise"]["name"]) == (2.5, [world.gym.id], "精工压铸")
    # the outsider's enterprise may now book the gym, not the court
    outsider = as_user(app, "outsider")
    names = {f["name"] for f in outsider.get("/api/v1/facilities").get_json()}
    assert {"健身房", "篮球场"} <= names and "羽毛球场 1 号" not in names
    r = admin.request("PATCH", f"/api/v1/agreements/{a['id']}", json={"hours_per_week": 4, "valid_until": "2026-12-31"})
    assert r.status_code == 200 and r.get_json()["hours_per_week"] == 4 and r.get_json()["valid_until"] == "2026-12-31"
    listed = [x["id"] for x in admin.get("/api/v1/agreements").get_json()]
    assert a["id"] in listed


@pytest.mark.parametrize(
    "body, status",
    [
        ({"enterprise_id": "ENT", "valid_from": "2026-01-01"}, 201),
        ({"valid_from": "2026-01-01"}, 422),  # neither enterprise nor group
        ({"enterprise_id": "ENT", "group_id": 1, "valid_from": "2026-01-01"}, 422),
        ({"enterprise_id": "ENT", "valid_from": "01/01/2026"}, 400),
        ({"enterprise_id": "ENT", "valid_from": "2026-01-01", "valid_until": "2025-01-01"}, 422),
        ({"enterprise_id": "ENT", "valid_from": "2026-01-01", "hours_per_week": -1}, 422),
        ({"enterprise_id": "ENT", "valid_from": "2026-01-01", "hours_per_week": 200}, 422),
        ({"enterprise_id": "ENT", "valid_from": "2026-01-01", "hours_per_week": "8"}, 422),
        ({"enterprise_id": "ENT", "valid_from": "2026-01-01", "bookings_per_worker": 1.5}, 422),
        ({"enterprise_id": "ENT", "valid_from": "2026-01-01", "facility_ids": "all"}, 400),
        ({"enterprise_id": "ENT", "valid_from": "2026-01-01", "facility_ids": ["OTHER_COURT"]}, 422),
        ({"enterprise_id": 999999, "valid_from": "2026-01-01"}, 422),
        ({"enterprise_id": "HOST", "valid_from": "2026-01-01"}, 201),  # a host enterprise may share too
        ({"host_id": "OTHER_HOST", "enterprise_id": "ENT", "valid_from": "2026-01-01"}, 404),
    ],
)
def test_agreement_validation(app, world, body, status):
    subst = {
        "ENT": world.other_ent.id,
        "HOST": world.host.id,
        "OTHER_HOST": world.other_host.id,
        "OTHER_COURT": world.other_court.id,
    }
    data = {"host_id": world.host.id}
    for key, value in body.items():
        if isinstance(value, list):
            value = [subst.get(v, v) for v in value]
        data[key] = subst.get(value, value) if isinstance(value, str) and value in subst else value
    before = db.session.scalar(select(func.count(SharingAgreement.id)))
    r = as_user(app, "hostadmin").post("/api/v1/agreements", json=data)
    assert r.status_code == status, r.get_json()
    after = db.session.scalar(select(func.count(SharingAgreement.id)))
    assert after == before + (1 if status == 201 else 0)


def test_agreements_are_scoped(app, world):
    assert as_user(app, "worker").get("/api/v1/agreements").status_code == 403
    assert (
        as_user(app, "staff")
        .post(
            "/api/v1/agreements",
            json={"host_id": world.host.id, "enterprise_id": world.other_ent.id, "valid_from": "2026-01-01"},
        )
        .status_code
        == 404
    )
    theirs = as_user(app, "entadmin").get("/api/v1/agreements").get_json()
    assert [a["id"] for a in theirs] == [world.agreement.id]
    other = as_user(app, "other_staff")  # host admin of the other host
    assert (
        other.request("PATCH", f"/api/v1/agreements/{world.agreement.id}", json={"hours_per_week": 100}).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(SharingAgreement, world.agreement.id).minutes_per_week == 8 * 60
