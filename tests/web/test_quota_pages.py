"""Quota pages through the web forms: agreements, no-show policy, usage reports, the worker's quota.

The views read the real clock, so bookings are made for tomorrow evening (Ningbo) from now.
Pages are read in English (one tap away) so the assertions survive the translation.
"""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.quotas.models import NoShowPolicy, SharingAgreement, Suspension
from booking.reservations import services
from booking.reservations.models import Reservation
from tests import factories as f
from tests import world as w


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False, hours=3, per_worker=2)
    world.hostadmin = f.user("hostadmin", roles=[("host_admin", world.host)])
    return world


def evening(hour=19, days=1):
    day = timeutil.local_date(timeutil.utcnow(), w.TZ) + timedelta(days=days)
    return timeutil.local_to_utc(day, hour * 60, w.TZ)


def booking_week():
    """?week= of tomorrow evening's bookings (next week's when today is a Sunday)."""
    return {"week": timeutil.iso_week_label(timeutil.local_date(evening(), w.TZ))}


def today():
    return timeutil.local_date(timeutil.utcnow(), w.TZ)


def html(response):
    return response.get_data(as_text=True)


def sign_in(client, username):
    client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    client.login(username)
    return client


def other(client):
    return type(client)(client.app)


def count_agreements():
    return db.session.scalar(select(func.count(SharingAgreement.id)))


def agreement_row(agreement_id):
    db.session.expire_all()
    return db.session.get(SharingAgreement, agreement_id)


def by_testid(page, name):
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', page, re.S)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else None


# --- who may see what ---------------------------------------------------------------------

ADMIN_PAGES = ["/quotas/agreements", "/quotas/agreements/new", "/quotas/host"]


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/quotas/enterprise"])
def test_workers_get_403_on_admin_pages(client, world, path):
    sign_in(client, "worker")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_enterprise_admin_gets_403_on_host_pages(client, world, path):
    sign_in(client, "entadmin")
    assert client.get(path).status_code == 403


def test_host_staff_who_is_not_admin_gets_403(client, world):
    sign_in(client, "staff")
    assert client.get("/quotas/agreements").status_code == 403
    assert client.get("/quotas/me").status_code == 403  # not a worker: no quota


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/quotas/enterprise", "/quotas/me"])
def test_anonymous_is_sent_to_sign_in(client, world, path):
    r = client.get(path)
    assert r.status_code == 302 and "/login" in r.location


def test_other_hosts_admin_gets_404_on_our_agreement(client, world):
    a = world.agreement.id
    sign_in(client, "other_staff")
    assert client.get(f"/quotas/agreements/{a}").status_code == 404
    r = client.post_form(
        f"/quotas/agreements/{a}", {"hours": "100", "bookings_per_worker": "9"}, csrf_from="/quotas/agreements"
    )
    assert r.status_code == 404
    r = client.post_form(
        f"/quotas/agreements/{a}/end", {"valid_until": today().isoformat()}, csrf_from="/quotas/agreements"
    )
    assert r.status_code == 404
    assert client.get(f"/quotas/hosts/{world.host.id}/no-show-policy").status_code == 404
    page = html(client.get("/quotas/agreements"))
    assert f'data-id="{a}"' not in page and "海顺模具" not in page
    row = agreement_row(a)
    assert (row.minutes_per_week, row.bookings_per_worker, row.valid_until) == (180, 2, None)


def test_host_usage_is_scoped_to_the_admins_hosts(client, world):
    services.book(world.worker, world.gym.id, evening())
    services.book(world.outsider, world.other_court.id, evening())
    sign_in(client, "hostadmin")
    page = html(client.get("/quotas/host", query_string=booking_week()))
    assert "海顺模具" in page and "精工压铸" not in page
    assert by_testid(page, "figure") == "1 of 3 h"

    page2 = html(sign_in(other(client), "other_staff").get("/quotas/host", query_string=booking_week()))
    assert "精工压铸" in page2 and "海顺模具" not in page2


def test_enterprise_admin_sees_only_their_enterprise(client, world):
    services.book(world.worker, world.gym.id, evening())
    services.book(world.outsider, world.other_court.id, evening())
    sign_in(client, "entadmin")
    page = html(client.get("/quotas/enterprise", query_string=booking_week()))
    assert "吉利春晓" in page and "1 of 3 h" in page
    assert 'data-testid="worker-usage"><td>Worker</td><td>1</td><td>1</td>' in page
    assert "Outsider" not in page and "灵峰中心" not in page and "精工压铸" not in page
    assert f'data-testid="agreement" data-id="{world.agreement.id}"' in page


def test_enterprise_admin_sees_suspended_workers_with_the_end(client, world):
    now = timeutil.utcnow()
    ends = now + timedelta(days=5)
    db.session.add(
        Suspension(
            user_id=world.worker.id, host_id=world.host.id, starts_at=now - timedelta(hours=1), ends_at=ends, no_shows=3
        )
    )
    outsider_ends = now + timedelta(days=3)
    db.session.add(
        Suspension(
            user_id=world.outsider.id,
            host_id=world.other_host.id,
            starts_at=now - timedelta(hours=1),
            ends_at=outsider_ends,
            no_shows=3,
        )
    )
    db.session.commit()
    sign_in(client, "entadmin")
    page = html(client.get("/quotas/enterprise"))
    assert 'data-testid="suspension"' in page and "Worker" in page
    assert timeutil.to_local(ends, w.TZ).strftime("%Y-%m-%d %H:%M") in page
    assert "Outsider" not in page


# --- agreements: create, change, end -----------------------------------------------------


def new_agreement(client, **fields):
    data = {
        "host_id": "",
        "enterprise_id": "",
        "group_id": "",
        "scope": "all",
        "hours": "",
        "bookings_per_worker": "",
        "valid_from": today().isoformat(),
        "valid_until": "",
    }
    data.update(fields)
    return client.post_form("/quotas/agreements/new", data)


def test_agreement_list_shows_party_scope_limits_dates_and_state(client, world):
    f.agreement(
        world.host,
        world.other_ent,
        hours=2,
        facilities=[world.gym],
        valid_from=date(2020, 1, 1),
        valid_until=date(2021, 1, 1),
    )
    sign_in(client, "hostadmin")
    page = html(client.get("/quotas/agreements"))
    assert page.count('data-testid="agreement"') == 2
    assert "海顺模具" in page and "3 h/week · 2 bookings per worker" in page and "All facilities" in page
    assert "精工压铸" in page and "健身房" in page and "2020-01-01 to 2021-01-01" in page
    assert 'data-state="ended"' in page and 'data-state="in_force"' in page


def test_create_agreement_with_an_enterprise_and_some_facilities(client, world):
    sign_in(client, "hostadmin")
    before = count_agreements()
    r = new_agreement(
        client,
        host_id=str(world.host.id),
        enterprise_id=str(world.other_ent.id),
        scope="some",
        facility_ids=[str(world.gym.id)],
        hours="1.5",
        bookings_per_worker="3",
        valid_until=(today() + timedelta(days=30)).isoformat(),
    )
    assert r.status_code == 302, html(r)
    assert count_agreements() == before + 1
    a = db.session.scalars(select(SharingAgreement).order_by(SharingAgreement.id.desc())).first()
    assert (a.host_id, a.enterprise_id, a.group_id, a.all_facilities) == (
        world.host.id,
        world.other_ent.id,
        None,
        False,
    )
    assert [fac.id for fac in a.facilities] == [world.gym.id]
    assert (a.minutes_per_week, a.bookings_per_worker) == (90, 3)
    page = html(client.get(r.location))
    assert "精工压铸" in page and by_testid(page, "state") == "In force"


def test_create_agreement_with_a_union_for_all_its_enterprises(client, world):
    union = db.session.get(type(world.ent), world.ent.parent_id)
    sign_in(client, "hostadmin")
    r = new_agreement(
        client,
        host_id=str(world.host.id),
        group_id=str(union.id),
        hours="10",
        valid_from=(today() + timedelta(days=7)).isoformat(),
    )
    assert r.status_code == 302, html(r)
    a = db.session.scalars(select(SharingAgreement).order_by(SharingAgreement.id.desc())).first()
    assert (a.group_id, a.enterprise_id, a.all_facilities, a.minutes_per_week, a.bookings_per_worker) == (
        union.id,
        None,
        True,
        600,
        None,
    )
    page = html(client.get(r.location))
    assert "联合工会" in page and 'data-state="future"' in page


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"hours": "-1"}, "Weekly hours must be between 0 and 168."),
        ({"hours": "200"}, "Weekly hours must be between 0 and 168."),
        ({"hours": "eight"}, "Weekly hours must be between 0 and 168."),
        ({"bookings_per_worker": "1.5"}, "Bookings per worker must be between 0 and 100."),
        ({"bookings_per_worker": "-2"}, "Bookings per worker must be between 0 and 100."),
        ({"valid_from": "2026-12-01", "valid_until": "2026-11-01"}, "The end date is before the start date."),
        ({"valid_from": "not a date"}, "Enter a date like 2026-11-25."),
        ({"enterprise_id": ""}, "Choose one enterprise, or one union"),
        ({"group_id": "UNION"}, "Choose one enterprise, or one union"),
        ({"enterprise_id": "99999"}, "No such enterprise or union."),
        ({"enterprise_id": "abc"}, "No such enterprise or union."),
        ({"scope": "some", "facility_ids": ["OTHER_COURT"]}, "Some facilities are not this host&#39;s."),
        ({"scope": "some"}, "Tick at least one facility, or choose all facilities."),
    ],
)
def test_bad_agreement_input_rerenders_with_a_message_and_changes_nothing(client, world, fields, message):
    union_id = str(world.ent.parent_id)
    fields = {k: (union_id if v == "UNION" else v) for k, v in fields.items()}
    if fields.get("facility_ids") == ["OTHER_COURT"]:
        fields["facility_ids"] = [str(world.gym.id), str(world.other_court.id)]
    data = {
        "host_id": str(world.host.id),
        "enterprise_id": str(world.other_ent.id),
        "hours": "4",
        "bookings_per_worker": "2",
    }
    data.update(fields)
    sign_in(client, "hostadmin")
    before = count_agreements()
    r = new_agreement(client, **data)
    assert r.status_code == 422
    page = html(r)
    assert message in page and 'data-testid="agreement-form"' in page
    assert count_agreements() == before


def test_create_for_a_host_the_admin_does_not_hold_is_404(client, world):
    sign_in(client, "hostadmin")
    before = count_agreements()
    r = new_agreement(client, host_id=str(world.other_host.id), enterprise_id=str(world.ent.id))
    assert r.status_code == 404 and count_agreements() == before


def test_change_limits(client, world):
    sign_in(client, "hostadmin")
    path = f"/quotas/agreements/{world.agreement.id}"
    page = html(client.get(path))
    assert 'value="3"' in page and 'value="2"' in page
    r = client.post_form(path, {"hours": "12.5", "bookings_per_worker": "4"})
    assert r.status_code == 302
    row = agreement_row(world.agreement.id)
    assert (row.minutes_per_week, row.bookings_per_worker) == (750, 4)
    assert "12.5 h/week · 4 bookings per worker" in html(client.get(path))
    r = client.post_form(path, {"hours": "", "bookings_per_worker": ""})  # empty: no limit
    assert r.status_code == 302
    row = agreement_row(world.agreement.id)
    assert (row.minutes_per_week, row.bookings_per_worker) == (None, None)


@pytest.mark.parametrize(
    "hours, bookings, message",
    [
        ("-1", "2", "Weekly hours must be between 0 and 168."),
        ("200", "2", "Weekly hours must be between 0 and 168."),
        ("lots", "2", "Weekly hours must be between 0 and 168."),
        ("3", "1.5", "Bookings per worker must be between 0 and 100."),
        ("3", "101", "Bookings per worker must be between 0 and 100."),
    ],
)
def test_bad_limits_rerender_and_change_nothing(client, world, hours, bookings, message):
    sign_in(client, "hostadmin")
    path = f"/quotas/agreements/{world.agreement.id}"
    r = client.post_form(path, {"hours": hours, "bookings_per_worker": bookings})
    assert r.status_code == 422 and message in html(r)
    assert f'value="{hours}"' in html(r)  # what was typed is kept for correcting
    row = agreement_row(world.agreement.id)
    assert (row.minutes_per_week, row.bookings_per_worker) == (180, 2)


def test_end_an_agreement_today_or_on_a_chosen_day(client, world):
    sign_in(client, "hostadmin")
    path = f"/quotas/agreements/{world.agreement.id}"
    later = today() + timedelta(days=10)
    r = client.post_form(path + "/end", {"valid_until": later.isoformat()}, csrf_from=path)
    assert r.status_code == 302
    assert agreement_row(world.agreement.id).valid_until == later
    r = client.post_form(path + "/end", {"valid_until": today().isoformat()}, csrf_from=path)
    assert r.status_code == 302
    assert agreement_row(world.agreement.id).valid_until == today()
    assert today().isoformat() in html(client.get(path))


@pytest.mark.parametrize(
    "value, message",
    [
        ("2019-12-31", "The end date is before the start date."),
        ("31/12/2026", "Enter a date like 2026-11-25."),
        ("", "Enter a date like 2026-11-25."),
    ],
)
def test_bad_end_date_rerenders_and_changes_nothing(client, world, value, message):
    sign_in(client, "hostadmin")
    path = f"/quotas/agreements/{world.agreement.id}"
    r = client.post_form(path + "/end", {"valid_until": value}, csrf_from=path)
    assert r.status_code == 422 and message in html(r)
    assert agreement_row(world.agreement.id).valid_until is None


def test_forms_without_csrf_are_refused(client, world):
    sign_in(client, "hostadmin")
    before = count_agreements()
    r = client.http.post(
        "/quotas/agreements/new",
        data={
            "enterprise_id": str(world.other_ent.id),
            "host_id": str(world.host.id),
            "valid_from": today().isoformat(),
        },
    )
    assert r.status_code == 400 and count_agreements() == before
    r = client.http.post(f"/quotas/agreements/{world.agreement.id}", data={"hours": "100"})
    assert r.status_code == 400 and agreement_row(world.agreement.id).minutes_per_week == 180


# --- no-show policy ------------------------------------------------------------------------


def test_host_admin_sets_the_no_show_policy(client, world):
    sign_in(client, "hostadmin")
    path = f"/quotas/hosts/{world.host.id}/no-show-policy"
    assert 'value="3"' in html(client.get(path))  # the defaults, before a policy exists
    r = client.post_form(path, {"no_show_limit": "2", "within_days": "60", "suspend_days": "7"})
    assert r.status_code == 302
    policy = db.session.get(NoShowPolicy, world.host.id)
    assert (policy.no_show_limit, policy.within_days, policy.suspend_days) == (2, 60, 7)
    assert "2 no-shows within 60 days suspend booking here for 7 days." in html(client.get("/quotas/agreements"))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"no_show_limit": "0"}, "from 1 to 20"),
        ({"no_show_limit": "21"}, "from 1 to 20"),
        ({"no_show_limit": "2.5"}, "from 1 to 20"),
        ({"within_days": "366"}, "from 1 to 365"),
        ({"within_days": "many"}, "from 1 to 365"),
        ({"suspend_days": "-1"}, "from 0 to 365"),
        ({"suspend_days": ""}, "from 0 to 365"),
    ],
)
def test_bad_policy_rerenders_and_changes_nothing(client, world, fields, message):
    db.session.add(NoShowPolicy(host_id=world.host.id, no_show_limit=3, within_days=30, suspend_days=14))
    db.session.commit()
    sign_in(client, "hostadmin")
    data = {"no_show_limit": "5", "within_days": "10", "suspend_days": "3", **fields}
    r = client.post_form(f"/quotas/hosts/{world.host.id}/no-show-policy", data)
    assert r.status_code == 422 and message in html(r)
    db.session.expire_all()
    policy = db.session.get(NoShowPolicy, world.host.id)
    assert (policy.no_show_limit, policy.within_days, policy.suspend_days) == (3, 30, 14)


# --- the worker ---------------------------------------------------------------------------


def confirm_page(client, facility, hour=20):
    start = timeutil.isoformat_local(evening(hour), w.TZ)
    return client.get(f"/bookings/new?facility_id={facility.id}&start={start.replace('+', '%2B')}")


def test_confirmation_page_shows_what_is_left(client, world):
    services.book(world.worker2, world.gym.id, evening(18))
    services.book(world.worker, world.gym.id, evening(19))
    sign_in(client, "worker")
    page = html(confirm_page(client, world.gym))
    left = by_testid(page, "enterprise-left")
    assert left.startswith("Your enterprise: 1 of 3 hours left") and "吉利春晓" in left
    assert by_testid(page, "my-left") == "You: 1 of 2 bookings left."
    assert 'data-testid="confirm-booking"' in page


def test_confirmation_page_shows_the_suspension_instead_of_the_button(client, world):
    now = timeutil.utcnow()
    ends = now + timedelta(days=9)
    db.session.add(
        Suspension(
            user_id=world.worker.id, host_id=world.host.id, starts_at=now - timedelta(hours=1), ends_at=ends, no_shows=3
        )
    )
    db.session.commit()
    sign_in(client, "worker")
    page = html(confirm_page(client, world.gym))
    assert 'data-testid="suspended"' in page and 'data-testid="confirm-booking"' not in page
    assert timeutil.to_local(ends, w.TZ).strftime("%Y-%m-%d %H:%M") in page
    # the service refuses anyway
    start = timeutil.isoformat_local(evening(20), w.TZ)
    r = client.post_form(
        "/bookings/new", {"facility_id": str(world.gym.id), "start": start, "party_size": "1"}, csrf_from="/quotas/me"
    )
    assert r.status_code == 409
    assert db.session.scalar(select(func.count(Reservation.id))) == 0
    # the worker's quota page says so too
    assert 'data-testid="suspended"' in html(client.get("/quotas/me"))


def test_my_quota_page(client, world):
    services.book(world.worker, world.gym.id, evening())
    sign_in(client, "worker")
    page = html(client.get("/quotas/me", query_string=booking_week()))
    assert "海顺模具" in page and "吉利春晓" in page
    card = page.split(f'data-host="{world.host.id}"')[1]
    assert by_testid(card, "enterprise-left") == "2 of 3 h left"
    assert by_testid(card, "my-left") == "1 of 2 bookings left"
    assert "灵峰中心" not in page  # no agreement with the worker's enterprise


def test_home_links_by_role(client, world):
    sign_in(client, "worker")
    page = html(client.get("/"))
    assert 'href="/quotas/me"' in page and 'href="/quotas/agreements"' not in page
    page = html(sign_in(other(client), "entadmin").get("/"))
    assert 'href="/quotas/enterprise"' in page and 'href="/quotas/host"' not in page
    page = html(sign_in(other(client), "hostadmin").get("/"))
    assert 'href="/quotas/agreements"' in page and 'href="/quotas/host"' in page
    assert 'href="/quotas/me"' not in page


# --- week navigation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "user, path", [("hostadmin", "/quotas/host"), ("entadmin", "/quotas/enterprise"), ("worker", "/quotas/me")]
)
@pytest.mark.parametrize(
    "week",
    ["garbage", "2026-W99", "2026-W00", "2025-W53", "1999-W01", "9999-W01", "2026-W4%00", "x" * 5000, "２０２６-W01"],
)
def test_bad_week_gives_a_note_and_this_week(client, world, user, path, week):
    sign_in(client, user)
    r = client.get(path, query_string={"week": week})
    assert r.status_code == 200
    page = html(r)
    assert 'data-testid="note"' in page and "The week was not understood" in page
    assert by_testid(page, "week-label") == "This week"


def test_week_navigation_moves_between_weeks(client, world):
    services.book(world.worker, world.gym.id, evening())
    week_of_booking = timeutil.iso_week_label(timeutil.local_date(evening(), w.TZ))
    sign_in(client, "hostadmin")
    page = html(client.get("/quotas/host", query_string={"week": week_of_booking}))
    assert "海顺模具" in page and 'data-testid="note"' not in page
    prev = re.search(r'rel="prev" href="([^"]+)"', page).group(1)
    page = html(client.get(prev.replace("&amp;", "&")))
    assert 'data-testid="no-usage"' in page and "海顺模具" not in page
    page = html(client.get("/quotas/host", query_string={"week": "2026-W53"}))
    # a week is named by its dates, never "2026-W53" (Monday 2026-12-28 to Sunday 2027-01-03)
    assert by_testid(page, "week-label") in ("Dec 28–Jan 3", "This week") and 'data-testid="note"' not in page
