"""Every administration route × every role, GET and POST: who gets in, who gets 403, who gets 404.

The matrix is built from the app's URL map: a new admin route that is not listed here fails
`test_the_matrix_covers_every_admin_route`, so nobody adds one without deciding who may use it.
"""

import pytest

from booking import create_app
from tests import factories as f
from tests import world as w
from tests.conftest import make_config, shared_world
from tests.helpers import WebClient

ROLES = ("anonymous", "worker", "enterprise_admin", "host_staff", "host_admin", "other_host_admin", "district_admin")
OK, DENIED, HIDDEN = "ok", 403, 404

# Who may do what, by kind of route (anonymous visitors are always sent to sign in).
PROFILES = {
    # The admin's own overview: any host admin or district admin.
    "overview": {
        "worker": DENIED,
        "enterprise_admin": DENIED,
        "host_staff": DENIED,
        "host_admin": OK,
        "other_host_admin": OK,
        "district_admin": OK,
    },
    # One host's venue, facility or staff: that host's admins; another host's admin is not told it exists.
    "host_object": {
        "worker": DENIED,
        "enterprise_admin": DENIED,
        "host_staff": DENIED,
        "host_admin": OK,
        "other_host_admin": HIDDEN,
        "district_admin": DENIED,
    },
    # Setting up a venue for an organization: its admins, and the district (which creates hosts).
    "host_setup": {
        "worker": DENIED,
        "enterprise_admin": DENIED,
        "host_staff": DENIED,
        "host_admin": OK,
        "other_host_admin": HIDDEN,
        "district_admin": OK,
    },
    # The audit log: each admin sees their own scope (checked in tests/services/test_audit.py).
    "audit": {
        "worker": DENIED,
        "enterprise_admin": OK,
        "host_staff": DENIED,
        "host_admin": OK,
        "other_host_admin": OK,
        "district_admin": OK,
    },
    # The organization tree: the district federation only.
    "district": {
        "worker": DENIED,
        "enterprise_admin": DENIED,
        "host_staff": DENIED,
        "host_admin": DENIED,
        "other_host_admin": DENIED,
        "district_admin": OK,
    },
}

# endpoint -> (path arguments from the world, profile). Objects belong to world.host / world.ent.
ROUTES = {
    "admin.index": (lambda wd: {}, "overview"),
    "admin.venue_new": (lambda wd: {"host_id": wd.host.id}, "host_setup"),
    "admin.venue_edit": (lambda wd: {"venue_id": wd.court.venue_id}, "host_object"),
    "admin.facility_new": (lambda wd: {"venue_id": wd.court.venue_id}, "host_object"),
    "admin.facility_edit": (lambda wd: {"facility_id": wd.court.id}, "host_object"),
    "admin.facility_retire": (lambda wd: {"facility_id": wd.court.id}, "host_object"),
    "admin.facility_reactivate": (lambda wd: {"facility_id": wd.court.id}, "host_object"),
    "admin.staff": (lambda wd: {"host_id": wd.host.id}, "host_object"),
    "admin.staff_grant": (lambda wd: {"host_id": wd.host.id}, "host_object"),
    "admin.staff_revoke": (lambda wd: {"host_id": wd.host.id, "user_id": wd.staff.id}, "host_object"),
    "admin.checkin_settings": (lambda wd: {"host_id": wd.host.id}, "host_object"),
    "admin.audit_log": (lambda wd: {}, "audit"),
    "admin.district.organizations": (lambda wd: {}, "district"),
    "admin.district.organization_new": (lambda wd: {}, "district"),
    "admin.district.organization": (lambda wd: {"org_id": wd.ent.id}, "district"),
    "admin.district.invite_code": (lambda wd: {"org_id": wd.ent.id}, "district"),
    "admin.district.admin_new": (lambda wd: {"org_id": wd.ent.id}, "district"),
    "admin.district.admin_grant": (lambda wd: {"org_id": wd.ent.id}, "district"),
    "admin.district.admin_revoke": (lambda wd: {"org_id": wd.ent.id, "user_id": wd.admin.id}, "district"),
}

# What an allowed role gets, per route and method: the exact status, and where a redirect leads.
# A POST carries only a valid CSRF token, so a form route answers 400 (its form errors) to an
# allowed role while everyone else gets 403/404: a route answering 400 to everyone fails here.
ALLOWED = {
    ("admin.index", "GET"): 200,
    ("admin.venue_new", "GET"): 200,
    ("admin.venue_new", "POST"): 400,
    ("admin.venue_edit", "GET"): 200,
    ("admin.venue_edit", "POST"): 400,
    ("admin.facility_new", "GET"): 200,
    ("admin.facility_new", "POST"): 400,
    ("admin.facility_edit", "GET"): 200,
    ("admin.facility_edit", "POST"): 400,
    ("admin.facility_retire", "GET"): 200,
    ("admin.facility_retire", "POST"): (302, "/admin/"),
    ("admin.facility_reactivate", "POST"): (302, "/admin/"),
    ("admin.staff", "GET"): 200,
    ("admin.staff", "POST"): 400,
    ("admin.staff_grant", "POST"): 400,
    ("admin.staff_revoke", "POST"): (302, lambda wd: f"/admin/hosts/{wd.host.id}/staff"),
    ("admin.checkin_settings", "GET"): 200,
    ("admin.checkin_settings", "POST"): 400,
    ("admin.audit_log", "GET"): 200,
    ("admin.district.organizations", "GET"): 200,
    ("admin.district.organization_new", "GET"): 200,
    ("admin.district.organization_new", "POST"): 400,
    ("admin.district.organization", "GET"): 200,
    ("admin.district.organization", "POST"): 400,
    ("admin.district.invite_code", "POST"): (302, lambda wd: f"/admin/district/organizations/{wd.ent.id}"),
    ("admin.district.admin_new", "POST"): 400,
    ("admin.district.admin_grant", "POST"): 400,
    ("admin.district.admin_revoke", "POST"): (302, lambda wd: f"/admin/district/organizations/{wd.ent.id}"),
}


def admin_routes() -> list[tuple[str, str]]:
    app = create_app(make_config("sqlite://"))
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


CASES = [(endpoint, method, role) for endpoint, method in admin_routes() for role in ROLES]


def test_the_matrix_covers_every_admin_route():
    assert {endpoint for endpoint, _ in admin_routes()} == set(ROUTES)


def test_every_admin_route_states_its_status():
    assert set(admin_routes()) == set(ALLOWED)


def expected_answer(world, endpoint, method) -> tuple[int, str | None]:
    """(status, redirect path or None) for a role the matrix lets in."""
    answer = ALLOWED[(endpoint, method)]
    if isinstance(answer, int):
        return answer, None
    status, location = answer
    return status, location if isinstance(location, str) else location(world)


def build_world():
    world = w.build()
    world.host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    world.district = f.user("district", roles=[("district_admin", world.other_host)])
    return world


built, module_app, app, world = shared_world(build_world)


def account(world, role):
    return {
        "worker": world.worker,
        "enterprise_admin": world.admin,
        "host_staff": world.staff,
        "host_admin": world.host_admin,
        "other_host_admin": world.other_staff,
        "district_admin": world.district,
    }[role]


@pytest.mark.parametrize("endpoint, method, role", CASES)
def test_admin_route_permissions(app, world, endpoint, method, role):
    if endpoint not in ROUTES:
        pytest.fail(f"{endpoint} is not in the permission matrix")
    args, profile = ROUTES[endpoint]
    with app.test_request_context():
        from flask import url_for

        path = url_for(endpoint, **args(world))
    client = WebClient(app)
    if role != "anonymous":
        client.login(account(world, role).username)
    if method == "GET":
        response = client.get(path)
    else:  # a valid CSRF token, so what answers is the permission check, not the CSRF guard
        response = client.post_form(path, {}, csrf_from="/" if role != "anonymous" else "/login")
    status = response.status_code
    if role == "anonymous":
        assert status == 302 and "/login" in response.headers["Location"], (status, path)
        return
    expected = PROFILES[profile][role]
    if expected == OK:
        assert (status, response.headers.get("Location")) == expected_answer(world, endpoint, method), path
    else:
        assert status == expected, (status, path)
