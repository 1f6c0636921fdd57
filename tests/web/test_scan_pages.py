"""The door scanner's pages and JSON (session + CSRF), a booking's QR image, the service worker."""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from pyzbar.pyzbar import decode
from sqlalchemy import func, select

from booking import timeutil
from booking.checkin import images
from booking.checkin import services as checkin
from booking.checkin.models import CheckinEvent
from booking.extensions import db
from booking.reservations import services as bookings
from booking.reservations.models import Reservation
from tests import world as w

META_CSRF = re.compile(r'data-csrf="([^"]+)"')


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False)


@pytest.fixture
def booked(world):
    """The worker's court booking whose check-in window is open now."""
    now = timeutil.utcnow()
    day = timeutil.local_date(now, w.TZ) + timedelta(days=1)
    r = bookings.book(world.worker, world.court.id, timeutil.local_to_utc(day, 19 * 60, w.TZ), now=now)
    r.start_at, r.end_at = now + timedelta(minutes=5), now + timedelta(minutes=65)
    db.session.commit()
    return r.id


def scanner(client, username="staff"):
    """Signed in, on /scan; returns the page's CSRF token for the JSON calls."""
    client.login(username)
    page = client.get("/scan")
    assert page.status_code == 200
    return META_CSRF.search(page.get_data(as_text=True)).group(1)


def scan(client, token, **body):
    return client.http.post("/scan/checkins", json=body, headers={"X-CSRFToken": token})


def events() -> int:
    return db.session.scalar(select(func.count(CheckinEvent.id)))


def code_of(rid) -> str:
    return checkin.token_for(db.session.get(Reservation, rid))


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["worker", "entadmin", "outsider"])
def test_scan_page_is_403_for_everyone_but_host_staff(client, world, username):
    client.login(username)
    assert client.get("/scan").status_code == 403
    assert client.get("/scan/manifest").status_code == 403
    # With a valid CSRF token, so what answers is the permission check, not the CSRF guard.
    token = client.csrf("/")
    response = client.http.post("/scan/checkins", json={"code": "X"}, headers={"X-CSRFToken": token})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    # Without one, the CSRF guard answers first (nothing is looked up either way).
    assert client.http.post("/scan/checkins", json={"code": "X"}).status_code == 400


def test_scan_page_for_staff_and_host_admins(client, world):
    client.login("staff")
    page = client.get("/scan")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="scanner"' in text and "jsQR.min.js" in text and 'id="scan-texts"' in text
    assert page.headers["X-Offline-Cache"] == "scanner"
    client2 = type(client)(client.app)
    client2.login("other_staff")  # a host admin counts as staff
    assert client2.get("/scan").status_code == 200


def test_anonymous_is_sent_to_sign_in_and_json_gets_401(client, world):
    r = client.get("/scan")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/scan/manifest").status_code == 401


def test_home_links_to_the_scanner_for_staff_only(client, world):
    client.login("staff")
    assert 'href="/scan"' in client.get("/").get_data(as_text=True)
    worker = type(client)(client.app)
    worker.login("worker")
    assert 'href="/scan"' not in worker.get("/").get_data(as_text=True)


# --- POST /scan/checkins --------------------------------------------------------------------


def test_checkin_without_csrf_is_refused_and_changes_nothing(client, world, booked):
    scanner(client)
    r = client.http.post("/scan/checkins", json={"code": code_of(booked), "nonce": "n1"})
    assert r.status_code == 400
    assert db.session.get(Reservation, booked).status == "confirmed" and events() == 0


def test_checkin_ok_then_already_checked_in(client, world, booked):
    token = scanner(client)
    code = code_of(booked)
    first = scan(client, token, code=code, nonce="n1", device="door-1")
    body = first.get_json()
    assert first.status_code == 200 and body["result"] == "ok"
    assert body["reservation"]["id"] == booked and body["reservation"]["status"] == "checked_in"
    assert body["reservation"]["user"]["display_name"] == "Worker"
    assert set(body) == {"result", "reservation"}  # the API's body, nothing more
    assert scan(client, token, code=code, nonce="n2").get_json()["result"] == "already_checked_in"
    e = db.session.scalar(select(CheckinEvent).order_by(CheckinEvent.id))
    assert (e.result, e.device, e.nonce) == ("ok", "door-1", "n1")


def test_same_nonce_twice_is_one_scan(client, world, booked):
    token = scanner(client)
    code = code_of(booked)
    assert scan(client, token, code=code, nonce="same").get_json()["result"] == "ok"
    assert scan(client, token, code=code, nonce="same").get_json()["result"] == "ok"
    assert events() == 1


def test_short_code_typed_by_hand(client, world, booked):
    token = scanner(client)
    short = db.session.get(Reservation, booked).code
    assert scan(client, token, code=short.lower()).get_json()["result"] == "ok"


def test_wrong_host_reveals_nothing(client, world, booked):
    token = scanner(client, "other_staff")
    body = scan(client, token, code=code_of(booked), nonce="x").get_json()
    assert body == {"result": "wrong_host"}
    assert db.session.get(Reservation, booked).status == "confirmed"


def test_offline_scan_is_dated_when_it_happened(client, world, booked):
    token = scanner(client)
    at = timeutil.utcnow() - timedelta(minutes=3)
    body = scan(
        client, token, code=code_of(booked), nonce="off-1", scanned_offline_at=at.isoformat().replace("+00:00", "Z")
    ).get_json()
    assert body["result"] == "ok"
    r = db.session.get(Reservation, booked)
    assert abs((r.checked_in_at - at).total_seconds()) < 1


@pytest.mark.parametrize(
    "body, status",
    [
        ({}, 400),
        ({"code": ""}, 400),
        ({"code": 5}, 400),
        ({"code": "x" * 301}, 422),
        ({"code": "ABCD2345", "nonce": 7}, 422),
        ({"code": "ABCD2345", "scanned_offline_at": "yesterday"}, 400),
        ({"code": "ABCD2345", "scanned_offline_at": "2020-01-01T00:00:00+00:00"}, 422),
    ],
)
def test_malformed_scans_answer_json_errors(client, world, booked, body, status):
    token = scanner(client)
    r = scan(client, token, **body)
    assert r.status_code == status and "error" in r.get_json()
    assert db.session.get(Reservation, booked).status == "confirmed"


# --- GET /scan/manifest ---------------------------------------------------------------------


def test_manifest_is_scoped_to_own_hosts(client, world, booked):
    scanner(client)
    m = client.get("/scan/manifest").get_json()
    assert [k["host_id"] for k in m["keys"]] == [world.host.id]
    assert [r["id"] for r in m["reservations"]] == [booked]
    r = m["reservations"][0]
    assert r["code"] and r["window"][0].endswith("+08:00") and r["status"] == "confirmed"
    assert m["checked_in_today"] == 0 and m["csrf_token"]
    other = type(client)(client.app)
    other.login("other_staff")
    m2 = other.get("/scan/manifest").get_json()
    assert m2["reservations"] == [] and {k["host_id"] for k in m2["keys"]} == {world.other_host.id}


def test_manifest_token_is_accepted_for_posts(client, world, booked):
    scanner(client)
    fresh = client.get("/scan/manifest").get_json()["csrf_token"]
    assert scan(client, fresh, code=code_of(booked)).get_json()["result"] == "ok"
    assert client.get("/scan/manifest").get_json()["checked_in_today"] == 1


# --- the booking page and its QR ------------------------------------------------------------


def test_qr_svg_for_the_owner_only(client, world, booked):
    client.login("worker")
    r = client.get(f"/bookings/{booked}/qr.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml" and b"<svg" in r.data
    assert r.data == images.svg(code_of(booked))
    for name in ("worker2", "outsider", "other_staff"):
        other = type(client)(client.app)
        other.login(name)
        assert other.get(f"/bookings/{booked}/qr.svg").status_code == 404


def test_the_code_decodes_to_a_token_the_scanner_accepts(client, world, booked):
    client.login("worker")
    svg = client.get(f"/bookings/{booked}/qr.svg").data
    code = code_of(booked)
    assert svg == images.svg(code)  # the same token as the PNG rendering below
    (symbol,) = decode(Image.open(io.BytesIO(images.png(code))))
    staff = type(client)(client.app)
    token = scanner(staff)
    assert scan(staff, token, code=symbol.data.decode()).get_json()["result"] == "ok"


def test_booking_page_shows_the_code_large_with_name_and_calendar_link(client, world, booked):
    client.login("worker")
    r = client.get(f"/bookings/{booked}")
    text = r.get_data(as_text=True)
    short = db.session.get(Reservation, booked).code
    assert 'data-testid="qr"' in text and "<svg" in text and "<?xml" not in text
    assert short in text and "Worker" in text and "羽毛球场 1 号" in text
    assert f'href="/bookings/{booked}/calendar.ics"' in text
    assert r.headers["X-Offline-Cache"] == "booking"  # the service worker keeps it for the door


def test_pending_booking_shows_the_code_with_a_note(client, ctx):
    world = w.build(court_approval=True)
    day = timeutil.local_date(timeutil.utcnow(), w.TZ) + timedelta(days=1)
    r = bookings.book(world.worker, world.court.id, timeutil.local_to_utc(day, 19 * 60, w.TZ))
    client.login("worker")
    text = client.get(f"/bookings/{r.id}").get_data(as_text=True)
    assert 'data-testid="qr"' in text and 'data-testid="pending-note"' in text


def test_cancelled_booking_has_no_code_and_is_not_kept_offline(client, world, booked):
    db.session.get(Reservation, booked).status = "cancelled"
    db.session.commit()
    client.login("worker")
    r = client.get(f"/bookings/{booked}")
    assert 'data-testid="qr"' not in r.get_data(as_text=True)
    assert "X-Offline-Cache" not in r.headers


def test_staff_viewing_a_booking_page_is_not_kept_offline(client, world, booked):
    client.login("staff")
    r = client.get(f"/bookings/{booked}")
    assert r.status_code == 200 and "X-Offline-Cache" not in r.headers


# --- the service worker ---------------------------------------------------------------------


def test_service_worker_is_served_at_the_root_uncached(client, world):
    r = client.get("/sw.js")
    assert r.status_code == 200 and r.mimetype in ("text/javascript", "application/javascript")
    assert "no-cache" in r.headers["Cache-Control"]
    assert b"X-Offline-Cache" in r.data


def test_service_worker_is_registered_only_for_signed_in_users(client, world):
    assert "data-service-worker" not in client.get("/login").get_data(as_text=True)
    client.login("worker")
    assert 'data-service-worker="/sw.js"' in client.get("/bookings/").get_data(as_text=True)
