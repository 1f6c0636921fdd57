"""QR images and POST /checkins through the API."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from booking import timeutil
from booking.extensions import db
from booking.reservations import services as bookings
from tests import world as w


@pytest.fixture
def booked(ctx):
    world = w.build(court_approval=False)
    now = timeutil.utcnow()
    day = timeutil.local_date(now, "Asia/Shanghai") + timedelta(days=1)
    r = bookings.book(world.worker, world.court.id, timeutil.local_to_utc(day, 19 * 60, "Asia/Shanghai"), now=now)
    r.start_at, r.end_at = now + timedelta(minutes=5), now + timedelta(minutes=65)  # check-in is open
    db.session.commit()
    return world, r.id


def as_user(app, username):
    from tests.helpers import ApiClient

    return ApiClient(app).login(username)


def test_qr_png_is_the_code_checkins_take(app, booked):
    world, rid = booked
    worker, staff = as_user(app, "worker"), as_user(app, "staff")
    png = worker.get(f"/api/v1/reservations/{rid}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    (symbol,) = decode(Image.open(io.BytesIO(png.data)))
    code = symbol.data.decode()
    r = staff.post("/api/v1/checkins", json={"code": code, "nonce": "abc"})
    body = r.get_json()
    assert r.status_code == 200 and body["result"] == "ok"
    assert body["reservation"]["id"] == rid and body["reservation"]["status"] == "checked_in"
    assert body["reservation"]["user"]["display_name"] == "Worker"
    assert staff.post("/api/v1/checkins", json={"code": code, "nonce": "abc"}).get_json()["result"] == "ok"
    assert staff.post("/api/v1/checkins", json={"code": code}).get_json()["result"] == "already_checked_in"
    svg = staff.get(f"/api/v1/reservations/{rid}/qr.svg")  # host staff may see it too
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_qr_only_for_owner_and_host_staff(app, booked):
    world, rid = booked
    for name in ("worker2", "outsider", "other_staff"):
        r = as_user(app, name).get(f"/api/v1/reservations/{rid}/qr.png")
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_wrong_host_reveals_nothing(app, booked):
    world, rid = booked
    code = as_user(app, "worker").get(f"/api/v1/reservations/{rid}").get_json()["code"]
    body = as_user(app, "other_staff").post("/api/v1/checkins", json={"code": code}).get_json()
    assert body == {"result": "wrong_host"}


@pytest.mark.parametrize(
    "body, status",
    [
        ({}, 400),
        ({"code": ""}, 400),
        ({"code": 123}, 400),
        ({"code": None}, 400),
        ({"code": "x" * 301}, 422),
        ({"code": "ABCD2345", "nonce": 5}, 422),
        ({"code": "ABCD2345", "nonce": "n" * 65}, 422),
    ],
)
def test_malformed_checkins(app, booked, body, status):
    r = as_user(app, "staff").post("/api/v1/checkins", json=body)
    assert r.status_code == status and "error" in r.get_json()


def test_workers_get_403(app, booked):
    r = as_user(app, "worker").post("/api/v1/checkins", json={"code": "ABCD2345"})
    assert r.status_code == 403


def test_manifest_for_offline_scanning(app, booked):
    world, rid = booked
    m = as_user(app, "staff").get("/api/v1/checkin/manifest").get_json()
    assert m["keys"] and m["keys"][0]["alg"] == "Ed25519"
    assert [r["id"] for r in m["reservations"]] == [rid]
    assert as_user(app, "other_staff").get("/api/v1/checkin/manifest").get_json()["reservations"] == []
    assert as_user(app, "worker").get("/api/v1/checkin/manifest").status_code == 403
