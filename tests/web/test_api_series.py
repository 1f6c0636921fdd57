"""The series API: create (linked bookings), list, show, pause a date range, cancel; exact
statuses, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.reservations.models import Reservation, ReservationSeries, SlotLoad
from tests import factories as f
from tests import world as w
from tests.helpers import ApiClient

TZ = w.TZ


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def world(ctx):
    world = w.build()
    world.hall = f.facility(world.court.venue, "多功能厅", kind="gym", capacity=3, window_days=60)
    return world


def api(app, username):
    return ApiClient(app).login(username)


def first_start(tz=TZ):
    day = timeutil.local_date(timeutil.utcnow(), tz) + timedelta(days=2)
    return timeutil.local_to_utc(day, 19 * 60, tz)


def error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()["error"]
    if code:
        assert body["code"] == code
    return body


def create(client, facility, weeks=3):
    r = client.post(
        "/api/v1/reservations/series",
        json={"facility_id": facility.id, "start": timeutil.isoformat_local(first_start(), TZ), "weeks": weeks},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def state():
    return (
        db.session.scalar(select(func.count(ReservationSeries.id))),
        tuple(db.session.scalars(select(Reservation.status).order_by(Reservation.id))),
        db.session.scalar(select(func.coalesce(func.sum(SlotLoad.held), 0))),
    )


def test_create_links_the_bookings_and_lists_them(app, world):
    admin = api(app, "entadmin")
    body = create(admin, world.hall)
    assert (body["booked"], body["refused"]) == (3, 0)
    sid = body["series_id"]
    assert [o["reservation"]["series_id"] for o in body["occurrences"]] == [sid] * 3
    listed = admin.get("/api/v1/reservations/series")
    assert listed.status_code == 200
    [item] = listed.get_json()["items"]
    assert (item["id"], item["status"], item["weeks"], item["pauses"]) == (sid, "active", 3, [])
    assert [o["start"] for o in item["occurrences"]] == [o["start"] for o in body["occurrences"]]
    assert all(o["start"].endswith("T19:00:00+08:00") and o["skipped"] is False for o in item["occurrences"])
    one = admin.get(f"/api/v1/reservations/series/{sid}")
    assert one.status_code == 200 and one.get_json() == item


def test_refused_weeks_are_shown_in_the_venues_zone(app, world):
    berlin = f.facility(f.venue(world.host, "柏林", tz="Europe/Berlin"), "Court B", window_days=7)
    admin = api(app, "entadmin")
    start = first_start("Europe/Berlin")
    r = admin.post(
        "/api/v1/reservations/series",
        json={"facility_id": berlin.id, "start": timeutil.isoformat_local(start, "Europe/Berlin"), "weeks": 2},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    refused = [o for o in body["occurrences"] if not o["ok"]]
    assert [o["error"]["code"] for o in refused] == ["outside_window"]
    assert refused[0]["start"] == timeutil.isoformat_local(start + timedelta(weeks=1), "Europe/Berlin")
    assert refused[0]["start"][-6:] in ("+01:00", "+02:00")


def test_pause_cancels_the_range_and_marks_it_skipped(app, world):
    admin = api(app, "entadmin")
    body = create(admin, world.hall)
    sid = body["series_id"]
    second = body["occurrences"][1]["start"][:10]
    r = admin.post(f"/api/v1/reservations/series/{sid}/pause", json={"from": second, "until": second})
    assert r.status_code == 200, r.get_data(as_text=True)
    out = r.get_json()
    assert [c["id"] for c in out["cancelled"]] == [body["occurrences"][1]["reservation"]["id"]] and out["kept"] == []
    assert [(o["status"], o["skipped"]) for o in out["series"]["occurrences"]] == [
        ("confirmed", False),
        ("cancelled", True),
        ("confirmed", False),
    ]
    assert out["series"]["pauses"] == [{"from": second, "until": second}]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"from": "2026-13-01", "until": "2026-12-01"}, 400, "bad_request"),
        ({"from": "2026-12-01"}, 400, "bad_request"),
        ({"from": "2026-12-09", "until": "2026-12-02"}, 422, "invalid_range"),
    ],
)
def test_bad_pauses_change_nothing(app, world, body, status, code):
    admin = api(app, "entadmin")
    sid = create(admin, world.hall)["series_id"]
    before = state()
    error(admin.post(f"/api/v1/reservations/series/{sid}/pause", json=body), status, code)
    assert state() == before


def test_cancel_then_nothing_more(app, world):
    admin = api(app, "entadmin")
    sid = create(admin, world.hall)["series_id"]
    r = admin.post(f"/api/v1/reservations/series/{sid}/cancel")
    assert r.status_code == 200
    out = r.get_json()
    assert len(out["cancelled"]) == 3 and out["series"]["status"] == "cancelled"
    assert db.session.scalar(select(func.coalesce(func.sum(SlotLoad.held), 0))) == 0
    before = state()
    error(admin.post(f"/api/v1/reservations/series/{sid}/cancel"), 409, "series_cancelled")
    error(
        admin.post(f"/api/v1/reservations/series/{sid}/pause", json={"from": "2026-12-01", "until": "2026-12-02"}),
        409,
        "series_cancelled",
    )
    assert state() == before


def test_who_may(app, world):
    f.user("otheradmin", world.other_ent, roles=[("enterprise_admin", world.other_ent)])
    sid = create(api(app, "entadmin"), world.hall)["series_id"]
    before = state()
    other, worker = api(app, "otheradmin"), api(app, "worker")
    assert other.get("/api/v1/reservations/series").get_json() == {"items": []}
    for client, status in ((other, 404), (worker, 403)):
        error(client.get(f"/api/v1/reservations/series/{sid}"), status)
        error(client.post(f"/api/v1/reservations/series/{sid}/cancel"), status)
        error(
            client.post(f"/api/v1/reservations/series/{sid}/pause", json={"from": "2026-12-01", "until": "2026-12-02"}),
            status,
        )
    error(worker.get("/api/v1/reservations/series"), 403)
    error(api(app, "entadmin").post("/api/v1/reservations/series/999999/cancel"), 404, "not_found")
    assert ApiClient(app).get("/api/v1/reservations/series").status_code == 401
    assert state() == before
