"""The input classes that used to crash, each refused at its one parsing edge, on SQLite and
PostgreSQL, with exact statuses, and nothing changed in the database afterwards."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from booking import timeutil
from booking.extensions import db
from booking.reservations import services as bookings
from tests import factories as f
from tests import world as w
from tests.conftest import BACKENDS
from tests.helpers import ApiClient, WebClient

HUGE = [2**63, 2**64, 2**31, 10**30]  # past 64 bits, and just past the 32-bit id columns
CONTROL_ERROR = "这里含有不允许的字符"  # pages are in Chinese unless one asks
RANGE_ERROR = "请填写 2000-01-01 到 2100-12-31 之间的日期。"


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Both databases: PostgreSQL refuses NUL and 64-bit ids where SQLite takes them."""
    return request.param


@pytest.fixture
def world(ctx):
    world = w.build()
    f.user("hostadmin", roles=[("host_admin", world.host), ("host_staff", world.host)])
    day = timeutil.local_date(timeutil.utcnow(), w.TZ) + timedelta(days=1)
    world.rid = bookings.book(world.worker, world.court.id, timeutil.local_to_utc(day, 19 * 60, w.TZ)).id
    return world


def snapshot():
    """Every row of every table (the tables are small here)."""
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name == "api_tokens":  # signing in to make the request issues one
            continue
        rows = db.session.execute(select(table)).all()
        out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


def api(app, username):
    return ApiClient(app).login(username)


def web(app, username):
    client = WebClient(app)
    assert client.login(username).status_code == 302
    return client


def json_error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# --- 1. integers past 64 bits (and past the id columns) ------------------------------------


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_api_paths_are_json_404(app, world, number):
    staff = api(app, "hostadmin")
    before = snapshot()
    for path in (
        f"/api/v1/reservations/{number}",
        f"/api/v1/reservations/{number}/qr.png",
        f"/api/v1/reservations/{number}/calendar.ics",
        f"/api/v1/facilities/{number}/availability?date=2026-12-01",
    ):
        json_error(staff.get(path), 404, "not_found")
    for path in (
        f"/api/v1/reservations/{number}/cancel",
        f"/api/v1/reservations/{number}/approve",
        f"/api/v1/reservations/{number}/reject",
    ):
        json_error(staff.post(path, json={}), 404, "not_found")
    json_error(staff.request("PATCH", f"/api/v1/agreements/{number}", json={}), 404, "not_found")
    assert snapshot() == before


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_page_paths_are_404_pages(app, world, number):
    staff, worker = web(app, "hostadmin"), web(app, "worker")
    before = snapshot()
    for path in (f"/bookings/{number}", f"/bookings/{number}/calendar.ics", f"/bookings/{number}/qr.svg"):
        assert worker.get(path).status_code == 404
    for path in (
        f"/staff/reservations/{number}/cancel",
        f"/admin/facilities/{number}/edit",
        f"/staff/blackouts/{number}",
        f"/quotas/agreements/{number}",
    ):
        assert staff.get(path).status_code == 404
    token = staff.csrf("/staff/pending")
    for path in (
        f"/staff/reservations/{number}/approve",
        f"/members/requests/{number}/approve",
        f"/calendar/{number}/regenerate",
    ):
        assert staff.http.post(path, data={"csrf_token": token}).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("number", HUGE)
def test_huge_calendar_feed_id_without_signing_in_is_404(app, world, number):
    r = WebClient(app).get(f"/feeds/{number}-{'a' * 32}.ics")
    assert r.status_code == 404


@pytest.mark.parametrize("query", [f"before_id={2**63}", f"before_id={2**31}", "before_id=1e3"])
def test_huge_before_id_is_400(app, world, query):
    json_error(api(app, "worker").get(f"/api/v1/reservations?{query}"), 400, "bad_request")


def test_huge_host_id_filter_is_400(app, world):
    json_error(api(app, "worker").get(f"/api/v1/facilities?host_id={2**63}"), 400, "bad_request")


def test_huge_numbers_in_page_queries_fall_back(app, world):
    staff = web(app, "hostadmin")
    assert staff.get(f"/admin/audit?page={2**63}").status_code == 200
    assert staff.get(f"/staff/today?facility_id={2**63}").status_code == 200
    assert staff.get(f"/reports/host?host_id={2**63}").status_code == 400  # as for "abc"


def test_huge_ids_in_bulk_decisions_change_nothing(app, world):
    staff = web(app, "staff")
    before = snapshot()
    r = staff.post_form(
        "/staff/pending/bulk", {"ids": [str(2**63), str(world.rid)], "approve": "1"}, csrf_from="/staff/pending"
    )
    assert r.status_code == 302
    assert snapshot() == before


def test_huge_numbers_in_admin_forms_are_field_errors(app, world):
    admin = web(app, "hostadmin")
    before = snapshot()
    r = admin.post_form(
        f"/admin/facilities/{world.gym.id}/edit",
        {
            "name": "健身房",
            "kind": "gym",
            "capacity": str(2**63),
            "slot_minutes": "60",
            "window_days": "7",
            "window_opens": "08:00",
            "min_notice_minutes": "30",
            "cancel_cutoff_minutes": "120",
            "checkin_before_minutes": "15",
            "checkin_after_minutes": "15",
        },
    )
    assert r.status_code in (400, 422) and "请输入整数。" in r.get_data(as_text=True)
    assert snapshot() == before


def test_huge_parent_id_is_an_unknown_parent(app, world):
    fed = f.org("北仑区总工会", kind="federation")
    f.user("district", roles=[("district_admin", fed)])
    district = web(app, "district")
    before = snapshot()
    r = district.post_form(
        "/admin/district/organizations/new",
        {"name": "新企业", "kind": "enterprise", "parent_id": str(2**63), "headcount": "5"},
    )
    assert r.status_code == 422
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"hours_per_week": 2**63},
        {"hours_per_week": 1e308},
        {"bookings_per_worker": 2**63},
        {"bookings_per_worker": 2**31},
        {"facility_ids": [2**63]},
        {"group_id": 2**63},
    ],
)
def test_huge_numbers_in_agreement_bodies_are_refused(app, world, body):
    admin = api(app, "hostadmin")
    before = snapshot()
    r = admin.post(
        "/api/v1/agreements",
        json={"host_id": world.host.id, "enterprise_id": world.other_ent.id, "valid_from": "2026-12-01", **body},
    )
    assert r.status_code in (400, 422) and r.get_json()["error"]["code"]
    assert snapshot() == before


@pytest.mark.parametrize("body", [{"party_size": 2**63}, {"party_size": 2**31}, {"weeks": 2**63}])
def test_huge_numbers_in_booking_bodies_are_422(app, world, body):
    admin = api(app, "entadmin")
    before = snapshot()
    path = "/api/v1/reservations/series" if "weeks" in body else "/api/v1/reservations"
    start = timeutil.isoformat_local(timeutil.utcnow() + timedelta(days=2), w.TZ)[:11] + "19:00:00+08:00"
    r = admin.post(path, json={"facility_id": world.gym.id, "start": start, "weeks": 2, **body})
    json_error(r, 422)
    assert snapshot() == before


# --- 2. dates near year 1 and 9999 --------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01T00:00:00",
        "9999-12-31T23:00:00+08:00",
        "0001-01-01T00:00:00+14:00",
        "1999-12-31T19:00:00",
        "2101-01-01T19:00:00+08:00",
    ],
)
def test_out_of_range_starts_are_400(app, world, start):
    worker, admin = api(app, "worker"), api(app, "entadmin")
    before = snapshot()
    err = json_error(
        worker.post("/api/v1/reservations", json={"facility_id": world.gym.id, "start": start}), 400, "bad_request"
    )
    assert err["field"] == "start"
    json_error(
        admin.post("/api/v1/reservations/series", json={"facility_id": world.gym.id, "start": start, "weeks": 26}),
        400,
        "bad_request",
    )
    assert snapshot() == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_out_of_range_dates_in_queries_are_400(app, world, day):
    worker, staff = api(app, "worker"), api(app, "staff")
    for client, path in (
        (worker, f"/api/v1/facilities/{world.gym.id}/availability"),
        (worker, "/api/v1/me/quota"),
        (worker, "/api/v1/facilities"),
        (staff, "/api/v1/checkin/manifest"),
    ):
        err = json_error(client.get(f"{path}?date={day}"), 400, "bad_request")
        assert err["field"] == "date" and "2000-01-01" in err["message"]


def test_out_of_range_offline_scan_time_is_400(app, world):
    staff = web(app, "staff")
    token = staff.csrf("/scan")
    before = snapshot()
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"):
        r = staff.http.post(
            "/scan/checkins",
            data=json.dumps({"code": "ABCD2345", "scanned_offline_at": when}),
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        json_error(r, 400, "bad_request")
    assert snapshot() == before


def test_blackout_in_year_9999_for_52_weeks_is_refused(app, world):
    staff = web(app, "staff")
    before = snapshot()
    r = staff.post_form(
        f"/staff/facilities/{world.court.id}/blackouts",
        {"day": "9999-12-24", "starts": "08:00", "ends": "10:00", "reason": "维修", "weeks": "52"},
    )
    assert r.status_code == 400 and RANGE_ERROR in r.get_data(as_text=True)
    assert snapshot() == before


def test_series_in_year_9999_is_refused(app, world):
    admin = web(app, "entadmin")
    before = snapshot()
    r = admin.post_form(
        "/bookings/series/",
        {"facility_id": str(world.gym.id), "first_day": "9999-12-24", "at": "19:00", "weeks": "26", "party_size": "1"},
    )
    assert r.status_code == 400 and RANGE_ERROR in r.get_data(as_text=True)
    assert snapshot() == before


def test_agreement_dates_out_of_range_are_refused(app, world):
    admin, admin_api = web(app, "hostadmin"), api(app, "hostadmin")
    before = snapshot()
    r = admin.post_form(
        "/quotas/agreements/new",
        {
            "host_id": str(world.host.id),
            "enterprise_id": str(world.other_ent.id),
            "scope": "all",
            "valid_from": "0001-01-01",
        },
    )
    assert r.status_code in (400, 422) and RANGE_ERROR in r.get_data(as_text=True)
    json_error(
        admin_api.post(
            "/api/v1/agreements",
            json={"host_id": world.host.id, "enterprise_id": world.other_ent.id, "valid_from": "9999-12-31"},
        ),
        400,
    )
    assert snapshot() == before


# --- 3. JSON: deep, not an object, wrong types ---------------------------------------------

JSON_ENDPOINTS = [
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/reservations"),
    ("POST", "/api/v1/reservations/series"),
    ("POST", "/api/v1/reservations/{rid}/cancel"),
    ("POST", "/api/v1/reservations/{rid}/approve"),
    ("POST", "/api/v1/reservations/{rid}/reject"),
    ("POST", "/api/v1/checkins"),
    ("POST", "/api/v1/agreements"),
    ("PATCH", "/api/v1/agreements/{aid}"),
    ("DELETE", "/api/v1/auth/token"),
]
BAD_BODIES = [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 5000 + "1" + "}" * 5000,
    "1",
    '"s"',
    "[1,2]",
    "null",
    "{",
    "\x00",
]


@pytest.mark.parametrize(
    "raw", BAD_BODIES, ids=["deep-list", "deep-object", "int", "string", "list", "null", "broken", "nul"]
)
def test_every_json_endpoint_refuses_bodies_that_are_not_objects(app, world, raw):
    staff = api(app, "hostadmin")
    before = snapshot()
    for method, path in JSON_ENDPOINTS:
        path = path.format(rid=world.rid, aid=world.agreement.id)
        r = staff.request(method, path, data=raw, content_type="application/json")
        json_error(r, 400, "bad_request")
    assert snapshot() == before


def test_the_scanners_json_endpoint_refuses_deep_bodies(app, world):
    staff = web(app, "staff")
    token = staff.csrf("/scan")
    r = staff.http.post(
        "/scan/checkins",
        data="[" * 50_000 + "]" * 50_000,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    json_error(r, 400, "bad_request")


@pytest.mark.parametrize(
    "body",
    [
        {"username": 123, "password": "x"},
        {"username": "worker", "password": ["x"]},
        {"username": {"a": 1}, "password": "x"},
        {"username": None, "password": "x"},
    ],
)
def test_sign_in_fields_of_the_wrong_type_are_400(app, world, body):
    json_error(ApiClient(app).post("/api/v1/auth/token", json=body), 400, "bad_request")


LIMITER_ON = {
    "RATELIMIT_ENABLED": True,
    "LOGIN_LIMIT_PER_USERNAME": "1000/minute",
    "LOGIN_LIMIT_PER_ADDRESS": "1000/minute",
}


@pytest.mark.parametrize("app_config", [LIMITER_ON])
@pytest.mark.parametrize(
    "raw",
    [
        "[1, 2]",
        "1",
        '"s"',
        '{"username": 123, "password": "x"}',
        '{"username": {"a": 1}, "password": "x"}',
        "[" * 5000 + "]" * 5000,
    ],
)
def test_sign_in_with_the_limiter_on_never_answers_500(app, world, raw):
    """The limiter's key function reads the body before the view does."""
    r = ApiClient(app).http.post("/api/v1/auth/token", data=raw, content_type="application/json")
    json_error(r, 400, "bad_request")


# --- 4. control characters in text ---------------------------------------------------------


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "ab\x1bc", "ab\x7f", "ab\u0085", "a\nb"])
def test_sign_in_identifier_with_control_characters_is_a_field_error(app, world, value):
    before = snapshot()
    r = WebClient(app).login(value)
    assert r.status_code == 400 and CONTROL_ERROR in r.get_data(as_text=True)
    json_error(ApiClient(app).post("/api/v1/auth/token", json={"username": value, "password": "x"}), 400)
    assert snapshot() == before


@pytest.mark.parametrize("field", ["username", "display_name", "phone", "invite_code", "password"])
def test_registration_with_nul_is_refused_and_stores_nothing(app, world, field):
    data = {
        "invite_code": "HSMJ2345",
        "username": "newbie",
        "display_name": "新人",
        "phone": "13900002222",
        "password": "long enough 1",
    }
    data[field] = data[field][:3] + "\x00" + data[field][3:]
    before = snapshot()
    r = WebClient(app).post_form("/register", data)
    assert r.status_code == 400 and CONTROL_ERROR in r.get_data(as_text=True)
    assert snapshot() == before


def test_reasons_with_control_characters_are_refused_tabs_and_newlines_kept(app, world):
    staff, staff_api = web(app, "staff"), api(app, "staff")
    before = snapshot()
    r = staff.post_form(f"/staff/reservations/{world.rid}/reject", {"reason": "满了\x00"})
    assert r.status_code == 400 and CONTROL_ERROR in r.get_data(as_text=True)
    err = json_error(
        staff_api.post(f"/api/v1/reservations/{world.rid}/reject", json={"reason": "满\x00了"}), 422, "invalid_text"
    )
    assert err["field"] == "reason"
    assert snapshot() == before
    r = staff.post_form(f"/staff/reservations/{world.rid}/reject", {"reason": "满了\r\n\t明天再来"})
    assert r.status_code == 302
    stored = db.session.scalar(text("SELECT reason FROM reservations WHERE id = :id"), {"id": world.rid})
    assert stored == "满了\r\n\t明天再来"


@pytest.mark.parametrize(
    "body",
    [{"code": "ABCD\x002345"}, {"code": "ABCD2345", "nonce": "n\x00"}, {"code": "ABCD2345", "device": "phone\x00"}],
)
def test_scans_with_control_characters_are_422(app, world, body):
    staff = api(app, "staff")
    before = snapshot()
    json_error(staff.post("/api/v1/checkins", json=body), 422, "invalid_text")
    assert snapshot() == before


def test_names_with_control_characters_are_refused(app, world):
    admin = web(app, "hostadmin")
    before = snapshot()
    r = admin.post_form(f"/admin/hosts/{world.host.id}/venues/new", {"name": "新\x00场馆", "timezone": "Asia/Shanghai"})
    assert r.status_code in (400, 422) and CONTROL_ERROR in r.get_data(as_text=True)
    assert snapshot() == before


# --- 5. error handlers after a failed statement ---------------------------------------------


def test_error_page_after_a_failed_statement_is_the_page_not_a_crash(app, world):
    """A view whose statement failed (PostgreSQL then refuses every statement until a rollback)
    and that answers with a domain error: the error page, which loads the signed-in user from the
    database, still renders; so does the API's JSON."""
    from sqlalchemy.exc import DBAPIError

    from booking.errors import Conflict

    def failing_view():
        try:
            db.session.execute(text("SELECT * FROM no_such_table"))
        except DBAPIError:
            pass
        raise Conflict()

    app.add_url_rule("/boom", "boom", failing_view)
    app.add_url_rule("/api/v1/boom", "api_boom", failing_view)
    worker = web(app, "worker")
    r = worker.get("/boom")
    assert r.status_code == 409 and "js/session.js" in r.get_data(as_text=True)  # signed-in pages only
    json_error(worker.get("/api/v1/boom"), 409, "conflict")


# --- 6. oversized request lines and headers -----------------------------------------------


def test_oversized_request_line_and_headers_answer_in_the_contracts_form(app, world):
    worker = api(app, "worker")
    json_error(worker.get("/api/v1/facilities?x=" + "a" * 9000), 414, "uri_too_long")
    json_error(worker.get("/api/v1/facilities", headers={"X-Big": "a" * 9000}), 431, "headers_too_large")
    json_error(worker.get("/api/v1/facilities", headers={f"X-H{i}": "1" for i in range(120)}), 431)
    page = WebClient(app).get("/login?x=" + "a" * 9000)
    assert page.status_code == 414 and page.mimetype == "text/html"
    assert worker.get("/api/v1/facilities?x=" + "a" * 4000).status_code == 200
