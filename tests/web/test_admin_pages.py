"""Administration pages through the web forms (real clock: slots are made relative to now)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import integrity, timeutil
from booking.accounts.models import User
from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.facilities.models import Facility, Venue
from booking.organizations.models import Organization
from booking.reservations import services as reservations
from booking.reservations.models import Reservation
from tests import factories as f
from tests import world as w
from tests.helpers import WebClient


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False)
    world.host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    world.district = f.user("district", roles=[("district_admin", world.other_host)])
    return world


@pytest.fixture
def client(client):
    """Signs in and reads the pages in English, so the messages checked read the same once translated."""
    login = client.login

    def login_en(username, password="secret123"):
        response = login(username, password)
        client.post_form("/lang/en", {"next": "/"}, csrf_from="/")
        return response

    client.login = login_en
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def local_slot(hour: int, days: int = 1):
    day = timeutil.local_date(timeutil.utcnow(), w.TZ) + timedelta(days=days)
    return timeutil.local_to_utc(day, hour * 60, w.TZ)


def facility_form(**overrides) -> dict:
    data = {
        "name": "乒乓球室",
        "kind": "table_tennis",
        "capacity": "4",
        "slot_minutes": "60",
        "window_days": "7",
        "window_opens": "08:00",
        "min_notice_minutes": "30",
        "cancel_cutoff_minutes": "120",
        "checkin_before_minutes": "15",
        "checkin_after_minutes": "15",
        "description": "两张球台",
        **{f"hours_{d}": "08:00-12:00, 13:00-22:00" for d in range(7)},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_facility_made_on_the_form_is_booked_the_same_minute(client, api, world):
    client.login("hostadmin")
    page = client.get(f"/admin/venues/{world.court.venue_id}/facilities/new")
    assert page.status_code == 200 and 'name="hours_6"' in html(page)
    r = client.post_form(f"/admin/venues/{world.court.venue_id}/facilities/new", facility_form())
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/")
    table = db.session.scalar(select(Facility).where(Facility.name == "乒乓球室"))
    assert table.capacity == 4 and [(h.opens_minute, h.closes_minute) for h in table.hours[:2]] == [
        (480, 720),
        (780, 1320),
    ]
    start = timeutil.isoformat_local(local_slot(19), w.TZ)
    api.login("worker")
    booked = api.post("/api/v1/reservations", json={"facility_id": table.id, "start": start, "party_size": 2})
    assert booked.status_code == 201, booked.get_json()
    assert booked.get_json()["status"] == "confirmed"
    assert "乒乓球室" in html(client.get("/admin/"))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"capacity": "0"}, "1"),
        ({"capacity": "-1"}, "1"),
        ({"capacity": "abc"}, "whole number"),
        ({"capacity": ""}, "required"),
        ({"slot_minutes": "0"}, "5"),
        ({"window_opens": "8am"}, "08:00"),
        ({"hours_0": "10:00-09:00"}, "closes before it opens"),
        ({"hours_2": "08:00-12:00, 11:00-13:00"}, "overlap"),
        ({"hours_4": "8点到10点"}, "HH:MM"),
        ({"hours_5": "25:00-26:00"}, "25:00"),
        ({"kind": "pool"}, ""),
        ({"name": ""}, "required"),
    ],
)
def test_bad_facility_input_re_renders_and_changes_nothing(client, world, overrides, message):
    client.login("hostadmin")
    before = count(Facility), count(AuditEntry)
    r = client.post_form(f"/admin/venues/{world.court.venue_id}/facilities/new", facility_form(**overrides))
    assert r.status_code in (400, 422)
    body = html(r)
    assert 'class="error"' in body and message in body
    assert 'value="乒乓球室"' in body or overrides.get("name") == ""  # what was typed stays
    assert (count(Facility), count(AuditEntry)) == before


def test_editing_a_facility_lists_the_bookings_it_hits_then_cancels_them(client, world):
    r = reservations.book(world.worker, world.gym.id, local_slot(19), party_size=3)
    client.login("hostadmin")
    edit = f"/admin/facilities/{world.gym.id}/edit"
    page = client.get(edit)
    assert 'value="健身房"' in html(page) and 'value="08:00-22:00"' in html(page)
    form = facility_form(name="健身房", kind="gym", capacity="2", **{f"hours_{d}": "08:00-22:00" for d in range(7)})
    asked = client.post_form(edit, form)
    assert asked.status_code == 200
    assert f'data-testid="hit" data-id="{r.id}" data-why="over_capacity"' in html(asked)
    assert db.session.get(Facility, world.gym.id).capacity == 5
    kept = client.post_form(edit, {**form, "on_affected": "keep"})
    assert kept.status_code == 409 and count(Reservation) == 1
    no_reason = client.post_form(edit, {**form, "on_affected": "cancel", "notice": ""})
    assert no_reason.status_code == 422
    done = client.post_form(edit, {**form, "on_affected": "cancel", "notice": "器材检修"})
    assert done.status_code == 302
    db.session.rollback()
    assert db.session.get(Reservation, r.id).status == "cancelled"
    assert db.session.get(Facility, world.gym.id).capacity == 2
    assert integrity.check() == []


def test_retire_page(client, world):
    r = reservations.book(world.worker, world.court.id, local_slot(19))
    client.login("hostadmin")
    page = client.get(f"/admin/facilities/{world.court.id}/retire")
    assert f'data-id="{r.id}"' in html(page)
    assert client.post_form(f"/admin/facilities/{world.court.id}/retire", {}).status_code == 409
    done = client.post_form(f"/admin/facilities/{world.court.id}/retire", {"on_affected": "keep"})
    assert done.status_code == 302
    db.session.rollback()
    assert not db.session.get(Facility, world.court.id).active
    reopen = client.post_form(f"/admin/facilities/{world.court.id}/reactivate", {}, csrf_from="/admin/")
    assert reopen.status_code == 302
    db.session.rollback()
    assert db.session.get(Facility, world.court.id).active


@pytest.mark.parametrize("tz", ["Mars/Olympus", "Asia/Shanghia", "   "])
def test_bad_time_zone_re_renders(client, world, tz):
    client.login("hostadmin")
    r = client.post_form(f"/admin/venues/{world.court.venue_id}/edit", {"name": "改名", "address": "", "timezone": tz})
    assert r.status_code in (400, 422) and 'class="error"' in html(r)
    db.session.rollback()
    assert db.session.get(Venue, world.court.venue_id).name == "春晓基地"


def test_new_venue(client, world):
    client.login("hostadmin")
    r = client.post_form(
        f"/admin/hosts/{world.host.id}/venues/new", {"name": "二号馆", "address": "春晓", "timezone": "Asia/Shanghai"}
    )
    assert r.status_code == 302 and "/facilities/new" in r.headers["Location"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"new-username": "staff"}, "taken"),
        ({"new-password": "short"}, "8"),
        ({"new-username": "x"}, "username"),
        ({"new-display_name": ""}, "required"),
    ],
)
def test_bad_staff_account_input(client, world, data, message):
    client.login("hostadmin")
    before = count(User)
    form = {
        "new-username": "desk1",
        "new-display_name": "前台",
        "new-password": "longenough",
        "new-role": "host_staff",
        **data,
    }
    r = client.post_form(f"/admin/hosts/{world.host.id}/staff", form)
    assert r.status_code in (400, 409, 422) and message in html(r)
    assert count(User) == before


def test_staff_page_create_grant_revoke(client, world):
    client.login("hostadmin")
    path = f"/admin/hosts/{world.host.id}/staff"
    r = client.post_form(
        path,
        {"new-username": "desk1", "new-display_name": "前台", "new-password": "longenough", "new-role": "host_staff"},
    )
    assert r.status_code == 302
    r = client.post_form(path + "/grant", {"grant-username": "worker", "grant-role": "host_staff"}, csrf_from=path)
    assert r.status_code == 302
    page = html(client.get(path))
    assert 'data-username="desk1"' in page and 'data-username="worker"' in page
    assert 'data-testid="revoke-host_admin"' not in page  # the only admin is the viewer: no button
    desk = db.session.scalar(select(User).where(User.username == "desk1"))
    r = client.post_form(f"{path}/{desk.id}/revoke", {"role": "host_staff"}, csrf_from=path)
    assert r.status_code == 302
    own = client.post_form(f"{path}/{world.host_admin.id}/revoke", {"role": "host_admin"}, csrf_from=path)
    assert own.status_code == 302
    db.session.rollback()
    assert db.session.get(User, world.host_admin.id).org_ids("host_admin") == {world.host.id}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"parent_id": "999999"}, "organization"),
        ({"headcount": "-1"}, "0"),
        ({"headcount": "lots"}, "whole number"),
        ({"name": ""}, "required"),
        ({"name": "灵峰中心"}, "exists"),
        ({"venue_name": "馆", "venue_timezone": "Bad/Zone"}, "zone"),
    ],
)
def test_bad_organization_input(client, world, data, message):
    client.login("district")
    before = count(Organization)
    r = client.post_form(
        "/admin/district/organizations/new",
        {"name": "新企业", "kind": "enterprise", "parent_id": "", "headcount": "20", **data},
    )
    assert r.status_code in (400, 409, 422) and message in html(r)
    assert count(Organization) == before


def test_organization_as_its_own_parent(client, world):
    client.login("district")
    path = f"/admin/district/organizations/{world.ent.id}"
    r = client.post_form(
        path, {"name": world.ent.name, "kind": "enterprise", "parent_id": str(world.ent.id), "headcount": "10"}
    )
    assert r.status_code == 422 and "own parent" in html(r)


def test_district_creates_a_host_and_its_admin(client, world):
    client.login("district")
    r = client.post_form(
        "/admin/district/organizations/new",
        {
            "name": "大港青年广场",
            "kind": "community_centre",
            "parent_id": "",
            "headcount": "0",
            "venue_name": "青年广场",
            "venue_address": "大港",
            "venue_timezone": "Asia/Shanghai",
        },
    )
    assert r.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.name == "大港青年广场"))
    path = f"/admin/district/organizations/{org.id}"
    r = client.post_form(
        path + "/admins/new",
        {
            "new-username": "plaza",
            "new-display_name": "广场管理员",
            "new-password": "longenough",
            "new-role": "host_admin",
        },
        csrf_from=path,
    )
    assert r.status_code == 302
    page = html(client.get(path))
    assert 'data-username="plaza"' in page and 'data-testid="revoke-host_admin"' in page
    assert 'from 广场管理员"' in page  # the Remove button's aria-label says whose role it removes
    plaza = db.session.scalar(select(User).where(User.username == "plaza"))
    r = client.post_form(f"{path}/admins/{plaza.id}/revoke", {"role": "host_admin"}, csrf_from=path)
    assert r.status_code == 302
    assert 'data-username="plaza"' not in html(client.get(path))


def test_invite_code_page(client, world):
    client.login("district")
    path = f"/admin/district/organizations/{world.ent.id}"
    assert "HSMJ2345" in html(client.get(path))
    r = client.post_form(path + "/invite-code", {}, csrf_from=path)
    assert r.status_code == 302
    db.session.rollback()
    assert db.session.get(Organization, world.ent.id).invite_code != "HSMJ2345"


def test_audit_page_and_home_links(client, world):
    client.login("hostadmin")
    client.post_form(f"/admin/hosts/{world.host.id}/venues/new", {"name": "二号馆", "timezone": "Asia/Shanghai"})
    page = html(client.get("/admin/audit"))
    assert 'data-action="venue.create"' in page and "二号馆" in page
    home = html(client.get("/"))
    assert 'href="/admin/"' in home and 'href="/admin/audit"' in home
    district = WebClient(client.app)
    district.login("district")
    assert 'data-action="venue.create"' in html(district.get("/admin/audit"))
    assert 'href="/admin/district/"' in html(district.get("/"))


# --- every problem in one submit (issue 15, item 10) ----------------------------------------


def test_every_facility_problem_shows_in_one_submit(client, world):
    client.login("hostadmin")
    before = count(Facility), count(AuditEntry)
    path = f"/admin/venues/{world.court.venue_id}/facilities/new"
    r = client.post_form(path, facility_form(capacity="0", slot_minutes="7", window_days="999", name=""))
    assert r.status_code == 400  # a field did not parse (the name): still every other problem is listed
    body = html(r)
    for message in (
        "This field is required.",
        "Enter a number from 1 to 10000.",
        "The slot length must be a multiple of 5 minutes.",
        "Enter a number from 0 to 365.",
    ):
        assert message in body, message
    # only the service's checks fail: all of them at once, 422
    r = client.post_form(path, facility_form(capacity="0", slot_minutes="7", hours_5="25:00-26:00"))
    assert r.status_code == 422
    body = html(r)
    for message in ("Enter a number from 1 to 10000.", "The slot length must be a multiple of 5 minutes.", "25:00"):
        assert message in body, message
    assert body.count('class="error"') >= 3
    assert (count(Facility), count(AuditEntry)) == before


def test_every_venue_problem_shows_in_one_submit(client, world):
    client.login("hostadmin")
    r = client.post_form(
        f"/admin/venues/{world.court.venue_id}/edit", {"name": "   ", "address": "", "timezone": "Mars/Olympus"}
    )
    assert r.status_code == 422
    body = html(r)
    assert "This field is required." in body and "Unknown time zone" in body
    db.session.rollback()
    assert db.session.get(Venue, world.court.venue_id).name == "春晓基地"


def test_every_staff_account_problem_shows_in_one_submit(client, world):
    client.login("hostadmin")
    before = count(User)
    r = client.post_form(
        f"/admin/hosts/{world.host.id}/staff",
        {"new-username": "staff", "new-display_name": "   ", "new-password": "short", "new-role": "host_staff"},
        csrf_from=f"/admin/hosts/{world.host.id}/staff",
    )
    assert r.status_code == 422
    body = html(r)
    for message in ("That username is taken.", "Please give a name", "at least 8 characters"):
        assert message in body, message
    assert count(User) == before


# --- check-in settings: the oldest offline scan a host accepts (issue 10) ----------------------


def test_host_admin_sets_the_offline_scan_max_age(client, world):
    from datetime import timedelta as _td

    from booking.checkin import services as checkin

    path = f"/admin/hosts/{world.host.id}/checkin"
    client.login("hostadmin")
    assert f'href="{path}"' in html(client.get("/admin/"))
    page = client.get(path)
    assert page.status_code == 200 and 'value="120"' in html(page)
    for bad, status, message in (
        ("3", 422, "Choose between 5 minutes and 24 hours."),
        ("1441", 422, "Choose between 5 minutes and 24 hours."),
        ("abc", 400, "Enter a whole number."),
        ("", 400, "This field is required."),
    ):
        r = client.post_form(path, {"offline_max_minutes": bad})
        assert r.status_code == status and message in html(r), bad
    assert checkin.offline_max_age(world.host.id) == _td(hours=2)
    r = client.post_form(path, {"offline_max_minutes": "45"})
    assert r.status_code == 302 and r.location == "/admin/"
    db.session.rollback()
    assert checkin.offline_max_age(world.host.id) == _td(minutes=45)
    assert 'value="45"' in html(client.get(path))
    assert checkin.offline_max_age(world.other_host.id) == _td(hours=2)


@pytest.mark.parametrize("username, status", [("hostadmin", 404), ("staff", 403), ("worker", 403)])
def test_offline_scan_setting_is_for_the_hosts_own_admins(client, world, username, status):
    client.login(username)
    host_id = world.other_host.id if username == "hostadmin" else world.host.id
    assert client.get(f"/admin/hosts/{host_id}/checkin").status_code == status
    r = client.post_form(f"/admin/hosts/{host_id}/checkin", {"offline_max_minutes": "30"}, csrf_from="/")
    assert r.status_code == status
