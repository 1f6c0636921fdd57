"""Every role-gated web route outside /admin × every role: who gets in, who gets 403, who 404.

The administration routes have their own matrix (test_admin_permissions.py). This one covers
staff, quotas, check-in, weekly series, join requests, reports and the booking pages, with
objects of another host and another enterprise. A new route in these blueprints that is not
listed here fails test_the_matrix_covers_every_route.
"""

from datetime import timedelta

import pytest
from flask import url_for

from booking import create_app, timeutil
from booking.extensions import db
from booking.facilities.models import Blackout
from booking.reservations import services as bookings
from tests import factories as f
from tests import world as w
from tests.conftest import make_config, shared_world
from tests.helpers import WebClient

ROLES = (
    "anonymous",
    "owner",
    "coworker",
    "outsider",
    "enterprise_admin",
    "host_staff",
    "host_admin",
    "other_host_admin",
    "district_admin",
)
OK, DENIED, HIDDEN, LOGIN, UNAUTH = "ok", 403, 404, "login", 401

# Expected outcome per role (anonymous: LOGIN unless said otherwise).
STAFF_PAGE = dict(
    owner=DENIED,
    coworker=DENIED,
    outsider=DENIED,
    enterprise_admin=DENIED,
    host_staff=OK,
    host_admin=OK,
    other_host_admin=OK,
    district_admin=DENIED,
)
STAFF_OBJECT = dict(STAFF_PAGE, other_host_admin=HIDDEN)
HOST_ADMIN_PAGE = dict(STAFF_PAGE, host_staff=DENIED)
HOST_ADMIN_OBJECT = dict(HOST_ADMIN_PAGE, other_host_admin=HIDDEN)
ENTERPRISE_ADMIN = dict(
    owner=DENIED,
    coworker=DENIED,
    outsider=DENIED,
    enterprise_admin=OK,
    host_staff=DENIED,
    host_admin=DENIED,
    other_host_admin=DENIED,
    district_admin=DENIED,
)
WORKER_PAGE = dict(
    owner=OK,
    coworker=OK,
    outsider=OK,
    enterprise_admin=OK,
    host_staff=DENIED,
    host_admin=DENIED,
    other_host_admin=DENIED,
    district_admin=DENIED,
)
# The owner's booking: the owner and the host's staff see it; to anyone else it does not exist.
BOOKING_SEEN = dict(
    owner=OK,
    coworker=HIDDEN,
    outsider=HIDDEN,
    enterprise_admin=HIDDEN,
    host_staff=OK,
    host_admin=OK,
    other_host_admin=HIDDEN,
    district_admin=HIDDEN,
)
BOOKING_OWNED = dict(BOOKING_SEEN, host_staff=HIDDEN, host_admin=HIDDEN)
HOST_REPORT = dict(HOST_ADMIN_OBJECT, district_admin=OK)
DISTRICT_ONLY = dict(
    owner=DENIED,
    coworker=DENIED,
    outsider=DENIED,
    enterprise_admin=DENIED,
    host_staff=DENIED,
    host_admin=DENIED,
    other_host_admin=DENIED,
    district_admin=OK,
)
REPORTS_INDEX = dict(HOST_ADMIN_PAGE, district_admin=OK)

ROUTES = {
    "staff.pending": (lambda wd: {}, STAFF_PAGE),
    "staff.today": (lambda wd: {}, STAFF_PAGE),
    "staff.bulk": (lambda wd: {}, STAFF_PAGE),
    "staff.approve": (lambda wd: {"reservation_id": wd.booking.id}, STAFF_OBJECT),
    "staff.reject": (lambda wd: {"reservation_id": wd.booking.id}, STAFF_OBJECT),
    "staff.cancel": (lambda wd: {"reservation_id": wd.booking.id}, STAFF_OBJECT),
    "staff.blackouts.index": (lambda wd: {"facility_id": wd.court.id}, STAFF_OBJECT),
    "staff.blackouts.show": (lambda wd: {"blackout_id": wd.blackout.id}, STAFF_OBJECT),
    "staff.blackouts.delete": (lambda wd: {"blackout_id": wd.blackout.id}, STAFF_OBJECT),
    "staff.blackouts.cancel_bookings": (lambda wd: {"blackout_id": wd.blackout.id}, STAFF_OBJECT),
    "staff.blackouts.keep_bookings": (lambda wd: {"blackout_id": wd.blackout.id}, STAFF_OBJECT),
    "checkin.scan_page": (lambda wd: {}, STAFF_PAGE),
    "checkin.scan_manifest": (lambda wd: {}, dict(STAFF_PAGE, anonymous=UNAUTH)),
    "checkin.scan_checkin": (lambda wd: {}, dict(STAFF_PAGE, anonymous=UNAUTH)),
    "checkin.booking_qr": (lambda wd: {"reservation_id": wd.booking.id}, BOOKING_SEEN),
    "quotas.agreement_list": (lambda wd: {}, HOST_ADMIN_PAGE),
    "quotas.agreement_new": (lambda wd: {}, HOST_ADMIN_PAGE),
    "quotas.host_usage": (lambda wd: {}, HOST_ADMIN_PAGE),
    "quotas.agreement_show": (lambda wd: {"agreement_id": wd.agreement.id}, HOST_ADMIN_OBJECT),
    "quotas.agreement_end": (lambda wd: {"agreement_id": wd.agreement.id}, HOST_ADMIN_OBJECT),
    "quotas.no_show_policy": (lambda wd: {"host_id": wd.host.id}, HOST_ADMIN_OBJECT),
    "quotas.enterprise_usage": (lambda wd: {}, ENTERPRISE_ADMIN),
    "quotas.me": (lambda wd: {}, WORKER_PAGE),
    "series.new": (lambda wd: {}, ENTERPRISE_ADMIN),
    "series.index": (lambda wd: {}, ENTERPRISE_ADMIN),
    "series.pause": (lambda wd: {"series_id": wd.series.id}, ENTERPRISE_ADMIN),
    "series.cancel": (lambda wd: {"series_id": wd.series.id}, ENTERPRISE_ADMIN),
    "accounts.join_requests": (lambda wd: {}, ENTERPRISE_ADMIN),
    "accounts.decide": (lambda wd: {"user_id": wd.applicant.id, "decision": "reject"}, dict(ENTERPRISE_ADMIN)),
    "reservations.show": (lambda wd: {"reservation_id": wd.booking.id}, BOOKING_SEEN),
    "reservations.cancel": (lambda wd: {"reservation_id": wd.booking.id}, BOOKING_OWNED),
    "feeds.booking_calendar": (lambda wd: {"reservation_id": wd.booking.id}, BOOKING_SEEN),
    "reports.index": (lambda wd: {}, REPORTS_INDEX),
    "reports.host": (lambda wd: {"host_id": wd.host.id}, HOST_REPORT),
    "reports.host_csv": (lambda wd: {"host_id": wd.host.id, "table": "enterprises"}, HOST_REPORT),
    "reports.district": (lambda wd: {}, DISTRICT_ONLY),
    "reports.district_csv": (lambda wd: {"table": "hosts"}, DISTRICT_ONLY),
}
# What an allowed role gets, per route and method: the exact status, and where a redirect leads.
# A POST carries only a valid CSRF token, so a form route answers its form errors (400, or 422
# for the quota forms) to an allowed role, while everyone else gets 403/404: a route answering
# 400 to everyone fails here. The status is the same for every allowed role of a route.
ALLOWED = {
    ("staff.pending", "GET"): 200,
    ("staff.today", "GET"): 200,
    ("staff.bulk", "POST"): (302, "/staff/pending"),
    ("staff.approve", "POST"): (302, "/staff/pending"),
    ("staff.reject", "GET"): 200,
    ("staff.reject", "POST"): 400,
    ("staff.cancel", "GET"): 200,
    ("staff.cancel", "POST"): 400,
    ("staff.blackouts.index", "GET"): 200,
    ("staff.blackouts.index", "POST"): 400,
    ("staff.blackouts.show", "GET"): 200,
    ("staff.blackouts.delete", "POST"): (302, lambda wd, role: f"/staff/facilities/{wd.court.id}/blackouts"),
    ("staff.blackouts.cancel_bookings", "POST"): (302, lambda wd, role: f"/staff/blackouts/{wd.blackout.id}"),
    ("staff.blackouts.keep_bookings", "POST"): (302, lambda wd, role: f"/staff/blackouts/{wd.blackout.id}"),
    ("checkin.scan_page", "GET"): 200,
    ("checkin.scan_manifest", "GET"): 200,
    ("checkin.scan_checkin", "POST"): 400,  # no code in the body
    ("checkin.booking_qr", "GET"): 200,
    ("quotas.agreement_list", "GET"): 200,
    ("quotas.agreement_new", "GET"): 200,
    ("quotas.agreement_new", "POST"): 422,
    ("quotas.host_usage", "GET"): 200,
    ("quotas.agreement_show", "GET"): 200,
    ("quotas.agreement_show", "POST"): (302, lambda wd, role: f"/quotas/agreements/{wd.agreement.id}"),
    ("quotas.agreement_end", "POST"): 422,
    ("quotas.no_show_policy", "GET"): 200,
    ("quotas.no_show_policy", "POST"): 422,
    ("quotas.enterprise_usage", "GET"): 200,
    ("quotas.me", "GET"): 200,
    ("series.new", "GET"): 200,
    ("series.new", "POST"): 400,
    ("series.index", "GET"): 200,
    ("series.pause", "POST"): 400,  # no dates
    ("series.cancel", "POST"): (303, "/bookings/series/list"),
    ("accounts.join_requests", "GET"): 200,
    ("accounts.decide", "POST"): (302, "/members/requests"),
    ("reservations.show", "GET"): 200,
    ("reservations.cancel", "POST"): (302, lambda wd, role: f"/bookings/{wd.booking.id}"),
    ("feeds.booking_calendar", "GET"): 200,
    ("reports.index", "GET"): (
        302,
        lambda wd, role: "/reports/district" if role == "district_admin" else "/reports/host",
    ),
    ("reports.host", "GET"): 200,
    ("reports.host_csv", "GET"): 200,
    ("reports.district", "GET"): 200,
    ("reports.district_csv", "GET"): 200,
}
GATED = (
    "staff.",
    "checkin.",
    "quotas.",
    "series.",
    "reports.",
    "accounts.join",
    "accounts.decide",
    "reservations.show",
    "reservations.cancel",
    "feeds.booking_calendar",
)
PUBLIC = {"checkin.service_worker"}  # the service worker script: no data in it


def gated_routes() -> list[tuple[str, str]]:
    app = create_app(make_config("sqlite://"))
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(GATED) and rule.endpoint not in PUBLIC
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


def test_the_matrix_covers_every_route():
    assert {endpoint for endpoint, _ in gated_routes()} == set(ROUTES)


def test_every_allowed_route_states_its_status():
    allowed = {(e, m) for e, m in gated_routes() if OK in ROUTES[e][1].values()}
    assert allowed == set(ALLOWED)


def expected_answer(world, endpoint, method, role) -> tuple[int, str | None]:
    """(status, redirect path or None) for a role the matrix lets in."""
    answer = ALLOWED[(endpoint, method)]
    if isinstance(answer, int):
        return answer, None
    status, location = answer
    return status, location if isinstance(location, str) else location(world, role)


def build_world():
    world = w.build(court_approval=True)
    world.host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    world.district = f.user("district", roles=[("district_admin", world.other_host)])
    world.applicant = f.user("applicant", world.ent, status="pending")
    day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=1)
    world.booking = bookings.book(world.worker, world.court.id, timeutil.local_to_utc(day, 19 * 60, "Asia/Shanghai"))
    start = timeutil.local_to_utc(day + timedelta(days=1), 9 * 60, "Asia/Shanghai")
    world.blackout = Blackout(facility_id=world.court.id, starts_at=start, ends_at=start + timedelta(hours=1))
    db.session.add(world.blackout)
    db.session.commit()
    world.series = bookings.book_series(
        world.admin, world.court.id, timeutil.local_to_utc(day, 20 * 60, "Asia/Shanghai"), weeks=1
    ).series
    return world


built, module_app, app, world = shared_world(build_world)


def account(world, role):
    return {
        "owner": world.worker,
        "coworker": world.worker2,
        "outsider": world.outsider,
        "enterprise_admin": world.admin,
        "host_staff": world.staff,
        "host_admin": world.host_admin,
        "other_host_admin": world.other_staff,
        "district_admin": world.district,
    }[role]


@pytest.mark.parametrize("endpoint, method, role", [(e, m, r) for e, m in gated_routes() for r in ROLES])
def test_route_permissions(app, world, endpoint, method, role):
    args, expect = ROUTES[endpoint]
    with app.test_request_context():
        path = url_for(endpoint, **args(world))
    client = WebClient(app)
    if role != "anonymous":
        client.login(account(world, role).username)
    if method == "GET":
        response = client.get(path)
    else:  # with a valid CSRF token: what answers is the permission check
        token = client.csrf("/" if role != "anonymous" else "/login")
        response = client.http.post(path, data={"csrf_token": token}, headers={"X-CSRFToken": token})
    status = response.status_code
    expected = expect.get(role, LOGIN)
    if expected == LOGIN:
        assert status == 302 and "/login" in response.headers["Location"], (status, path)
    elif expected == OK:
        assert (status, response.headers.get("Location")) == expected_answer(world, endpoint, method, role), path
    else:
        assert status == expected, (status, path)
