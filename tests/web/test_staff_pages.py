"""Host staff pages through the web forms: approvals, the day's schedule, host cancel, blackouts.

The views read the real clock, so bookings are made for tomorrow 19:00 (Ningbo) from now.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.facilities.models import Blackout
from booking.reservations import services
from booking.reservations.models import Notification, Reservation
from tests import world as w


@pytest.fixture
def world(ctx):
    return w.build()


def tomorrow():
    return timeutil.local_date(timeutil.utcnow(), w.TZ) + timedelta(days=1)


def evening(hour=19, days=1):
    day = timeutil.local_date(timeutil.utcnow(), w.TZ) + timedelta(days=days)
    return timeutil.local_to_utc(day, hour * 60, w.TZ)


def book(user, facility, hour=19):
    return services.book(user, facility.id, evening(hour))


def status(rid):
    return db.session.get(Reservation, rid).status


def notices(user, kind):
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.kind == kind)
    )


def html(response):
    return response.get_data(as_text=True)


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/pending", "/staff/today", "/staff/facilities/1/blackouts"])
def test_worker_gets_403_on_staff_pages(client, world, path):
    client.login("worker")
    r = client.get(path)
    assert r.status_code == 403


def test_anonymous_is_sent_to_sign_in(client, world):
    r = client.get("/staff/pending")
    assert r.status_code == 302 and "/login" in r.location


# --- approvals ------------------------------------------------------------------------------


def test_queue_shows_only_own_hosts_pending_with_details(client, world):
    mine = book(world.worker, world.court)
    other_court = w.f.facility(w.f.venue(world.other_host), "乒乓球台", requires_approval=True)
    theirs = book(world.outsider, other_court)
    client.login("staff")
    page = html(client.get("/staff/pending"))
    assert f'data-id="{mine.id}"' in page and f'data-id="{theirs.id}"' not in page
    assert "Worker" in page and "海顺模具" in page and "羽毛球场 1 号" in page
    assert "19:00–20:00" in page and tomorrow().strftime("%m-%d") in page
    assert re.search(r'data-testid="pending-count"[^>]*>1<', page)

    client2 = type(client)(client.app)
    client2.login("other_staff")
    page2 = html(client2.get("/staff/pending"))
    assert f'data-id="{theirs.id}"' in page2 and f'data-id="{mine.id}"' not in page2


def test_approve_one_confirms_and_notifies(client, world):
    r = book(world.worker, world.court)
    client.login("staff")
    resp = client.post_form(f"/staff/reservations/{r.id}/approve", {}, csrf_from="/staff/pending")
    assert resp.status_code == 302 and resp.location == "/staff/pending"
    assert status(r.id) == "confirmed"
    assert notices(world.worker, "approved") == 1
    # deciding it again is told, not a crash
    resp = client.post_form(
        f"/staff/reservations/{r.id}/approve", {}, csrf_from="/staff/pending", follow_redirects=True
    )
    assert resp.status_code == 200 and "flash-error" in html(resp)


def test_reject_with_reason_notifies_and_frees_the_slot(client, world):
    r = book(world.worker, world.court)
    client.login("staff")
    page = client.get(f"/staff/reservations/{r.id}/reject")
    assert page.status_code == 200 and "Worker" in html(page)
    # a reason is required
    resp = client.post_form(f"/staff/reservations/{r.id}/reject", {"reason": " "})
    assert resp.status_code == 400 and status(r.id) == "pending"
    resp = client.post_form(f"/staff/reservations/{r.id}/reject", {"reason": "场地维修"})
    assert resp.status_code == 302
    assert status(r.id) == "rejected"
    note = db.session.scalar(select(Notification).where(Notification.kind == "rejected"))
    assert (note.user_id, note.reason) == (world.worker.id, "场地维修")
    book(world.worker2, world.court)  # the place is free again


def test_reject_without_csrf_is_refused(client, world):
    r = book(world.worker, world.court)
    client.login("staff")
    resp = client.http.post(f"/staff/reservations/{r.id}/reject", data={"reason": "no"})
    assert resp.status_code == 400
    resp = client.http.post(f"/staff/reservations/{r.id}/approve")
    assert resp.status_code in (302, 400)
    resp = client.http.post("/staff/pending/bulk", data={"ids": [r.id], "approve": "1"})
    assert resp.status_code in (302, 400)
    assert status(r.id) == "pending" and notices(world.worker, "approved") == 0


def test_bulk_approve_reports_items_already_decided(client, world):
    a = book(world.worker, world.court, 19)
    b = book(world.worker2, world.court, 20)
    services.decide(world.staff, b.id, approve=False, reason="已处理")
    client.login("staff")
    resp = client.post_form(
        "/staff/pending/bulk", {"ids": [a.id, b.id], "approve": "1"}, csrf_from="/staff/pending", follow_redirects=True
    )
    page = html(resp)
    assert status(a.id) == "confirmed" and status(b.id) == "rejected"
    assert notices(world.worker, "approved") == 1
    assert f"#{b.id}" in page and "flash-error" in page


def test_bulk_reject_needs_a_reason_then_rejects_all(client, world):
    a = book(world.worker, world.court, 19)
    b = book(world.worker2, world.court, 20)
    client.login("staff")
    client.post_form(
        "/staff/pending/bulk", {"ids": [a.id, b.id], "reject": "1", "reason": ""}, csrf_from="/staff/pending"
    )
    assert (status(a.id), status(b.id)) == ("pending", "pending")
    client.post_form(
        "/staff/pending/bulk", {"ids": [a.id, b.id], "reject": "1", "reason": "比赛"}, csrf_from="/staff/pending"
    )
    assert (status(a.id), status(b.id)) == ("rejected", "rejected")
    assert notices(world.worker, "rejected") == 1 and notices(world.worker2, "rejected") == 1


def test_other_hosts_staff_gets_404_on_our_reservation(client, world):
    r = book(world.worker, world.court)
    client.login("other_staff")
    assert client.post_form(f"/staff/reservations/{r.id}/approve", {}, csrf_from="/staff/pending").status_code == 404
    assert client.get(f"/staff/reservations/{r.id}/reject").status_code == 404
    assert (
        client.post_form(f"/staff/reservations/{r.id}/cancel", {"reason": "x"}, csrf_from="/staff/pending").status_code
        == 404
    )
    resp = client.post_form(
        "/staff/pending/bulk", {"ids": [r.id], "approve": "1"}, csrf_from="/staff/pending", follow_redirects=True
    )
    assert "flash-error" in html(resp)
    assert status(r.id) == "pending"
    day = tomorrow().isoformat()
    assert f'data-id="{r.id}"' not in html(client.get(f"/staff/today?date={day}"))
    assert client.get(f"/staff/today?date={day}&facility_id={world.court.id}").status_code == 404


# --- schedule ---------------------------------------------------------------------------------


def test_schedule_of_a_day_per_facility(client, world):
    r = book(world.worker, world.court)
    g = services.book(world.worker2, world.gym.id, evening(20), party_size=3)
    client.login("staff")
    page = html(client.get(f"/staff/today?date={tomorrow().isoformat()}"))
    assert f'data-id="{r.id}"' in page and f'data-id="{g.id}"' in page
    assert "19:00" in page and "海顺模具" in page and "3" in page
    assert f'data-facility-id="{world.other_court.id}"' not in page  # another host's facility
    only_gym = html(client.get(f"/staff/today?date={tomorrow().isoformat()}&facility_id={world.gym.id}"))
    assert f'data-id="{g.id}"' in only_gym and f'data-id="{r.id}"' not in only_gym
    today_page = html(client.get("/staff/today"))
    assert f'data-id="{r.id}"' not in today_page
    assert (tomorrow() - timedelta(days=1)).isoformat() in today_page


@pytest.mark.parametrize("bad", ["2026-13-45", "tomorrow", "99999-01-01", "0001-01-01"])
def test_bad_date_is_a_message_not_a_500(client, world, bad):
    client.login("staff")
    r = client.get(f"/staff/today?date={bad}")
    assert r.status_code == 200 and 'data-testid="date-error"' in html(r)


# --- host cancellation ------------------------------------------------------------------------


def test_host_cancel_needs_a_reason_and_notifies(client, world):
    r = book(world.worker, world.court)
    services.decide(world.staff, r.id, approve=True)
    client.login("staff")
    assert client.get(f"/staff/reservations/{r.id}/cancel").status_code == 200
    resp = client.post_form(f"/staff/reservations/{r.id}/cancel", {"reason": ""})
    assert resp.status_code == 400 and status(r.id) == "confirmed"
    resp = client.post_form(f"/staff/reservations/{r.id}/cancel", {"reason": "x" * 256})
    assert resp.status_code == 400 and status(r.id) == "confirmed"
    resp = client.post_form(
        f"/staff/reservations/{r.id}/cancel?next=/staff/today", {"reason": "漏水维修", "next": "/staff/today"}
    )
    assert resp.status_code == 302 and resp.location == "/staff/today"
    assert status(r.id) == "cancelled"
    note = db.session.scalar(select(Notification).where(Notification.kind == "cancelled_by_host"))
    assert (note.user_id, note.reason) == (world.worker.id, "漏水维修")


def test_cancel_redirect_stays_on_this_site(client, world):
    r = book(world.worker, world.court)
    client.login("staff")
    resp = client.post_form(f"/staff/reservations/{r.id}/cancel", {"reason": "x", "next": "https://evil.example/"})
    assert resp.status_code == 302 and not resp.location.startswith("https://evil")


# --- blackouts --------------------------------------------------------------------------------


def blackouts():
    return db.session.scalar(select(func.count(Blackout.id)))


def test_blackout_lists_affected_bookings_and_cancel_all_frees_them(client, world):
    a = book(world.worker, world.court, 19)
    b = book(world.worker2, world.court, 20)
    services.decide(world.staff, b.id, approve=True)
    outside = book(world.admin, world.court, 21)
    client.login("staff")
    path = f"/staff/facilities/{world.court.id}/blackouts"
    assert client.get(path).status_code == 200
    resp = client.post_form(
        path, {"day": tomorrow().isoformat(), "starts": "18:30", "ends": "21:00", "reason": "地板维修"}
    )
    assert resp.status_code == 302 and resp.location.startswith("/staff/blackouts/")
    assert (status(a.id), status(b.id)) == ("pending", "confirmed")  # nothing silently cancelled
    detail = resp.location
    page = html(client.get(detail))
    assert f'data-id="{a.id}"' in page and f'data-id="{b.id}"' in page
    assert f'data-id="{outside.id}"' not in page and "地板维修" in page
    resp = client.post_form(detail + "/cancel-bookings", {"reason": "地板维修"}, csrf_from=detail)
    assert resp.status_code == 302
    assert (status(a.id), status(b.id), status(outside.id)) == ("cancelled", "cancelled", "pending")
    assert notices(world.worker, "cancelled_by_host") == 1 and notices(world.worker2, "cancelled_by_host") == 1
    assert 'data-testid="no-affected"' in html(client.get(detail))
    # listed as upcoming, and removable
    listing = html(client.get(path))
    assert "地板维修" in listing
    resp = client.post_form(detail + "/delete", {}, csrf_from=detail)
    assert resp.status_code == 302 and blackouts() == 0


def test_blackout_without_bookings_goes_back_to_the_list(client, world):
    client.login("staff")
    path = f"/staff/facilities/{world.gym.id}/blackouts"
    resp = client.post_form(path, {"day": tomorrow().isoformat(), "starts": "08:00", "ends": "12:00", "reason": "消毒"})
    assert resp.status_code == 302 and resp.location == path
    assert blackouts() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"starts": "20:00", "ends": "19:00"}, "end"),
        ({"starts": "19:00", "ends": "19:00"}, "end"),
        ({"day": "2026-02-30"}, "2026-11-25"),
        ({"day": "tomorrow"}, "2026-11-25"),
        ({"starts": "25:61"}, "19:00"),
        ({"ends": ""}, "19:00"),
        ({"reason": "x" * 256}, "255"),
        ({"reason": "  "}, "reason"),
        ({"weeks": "0"}, "Repeat it for 1 to 52 weeks."),
        ({"weeks": "53"}, "Repeat it for 1 to 52 weeks."),
        ({"weeks": "two"}, "Repeat it for 1 to 52 weeks."),
    ],
)
def test_bad_blackout_input_rerenders_with_a_message_and_changes_nothing(client, world, data, message):
    client.login("staff")
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/staff/pending")
    path = f"/staff/facilities/{world.court.id}/blackouts"
    form = {"day": tomorrow().isoformat(), "starts": "18:00", "ends": "20:00", "reason": "维修", **data}
    resp = client.post_form(path, form)
    assert resp.status_code in (400, 422)
    page = html(resp)
    assert 'class="error"' in page and message in page
    assert blackouts() == 0


def test_blackout_in_the_past_is_refused(client, world):
    client.login("staff")
    path = f"/staff/facilities/{world.court.id}/blackouts"
    day = (tomorrow() - timedelta(days=3)).isoformat()
    resp = client.post_form(path, {"day": day, "starts": "08:00", "ends": "09:00", "reason": "维修"})
    assert resp.status_code == 422 and blackouts() == 0


def test_other_hosts_staff_cannot_see_or_touch_our_blackouts(client, world):
    client.login("staff")
    path = f"/staff/facilities/{world.court.id}/blackouts"
    client.post_form(path, {"day": tomorrow().isoformat(), "starts": "08:00", "ends": "09:00", "reason": "维修"})
    bid = db.session.scalar(select(Blackout.id))
    other = type(client)(client.app)
    other.login("other_staff")
    assert other.get(path).status_code == 404
    assert other.get(f"/staff/blackouts/{bid}").status_code == 404
    assert other.post_form(f"/staff/blackouts/{bid}/delete", {}, csrf_from="/staff/pending").status_code == 404
    assert (
        other.post_form(
            f"/staff/blackouts/{bid}/cancel-bookings", {"reason": "x"}, csrf_from="/staff/pending"
        ).status_code
        == 404
    )
    assert blackouts() == 1


def test_weekly_blackout_from_the_form(client, world):
    client.login("staff")
    path = f"/staff/facilities/{world.court.id}/blackouts"
    resp = client.post_form(
        path, {"day": tomorrow().isoformat(), "starts": "08:00", "ends": "09:00", "reason": "晨练课", "weeks": "3"}
    )
    assert resp.status_code == 302
    assert blackouts() == 3


def kept_entries():
    from booking.audit.models import AuditEntry

    return sorted(
        db.session.scalars(select(AuditEntry.obj_id).where(AuditEntry.action == "reservation.keep_in_blackout"))
    )


def test_staff_keep_the_hit_bookings_and_the_worker_and_schedule_show_the_closure(client, world):
    a = book(world.worker, world.court, 19)
    services.decide(world.staff, a.id, approve=True)
    outside = book(world.worker2, world.court, 21)
    worker = type(client)(client.app)
    worker.login("worker")
    assert 'data-testid="closure"' not in html(worker.get(f"/bookings/{a.id}"))
    client.login("staff")
    resp = client.post_form(
        f"/staff/facilities/{world.court.id}/blackouts",
        {"day": tomorrow().isoformat(), "starts": "18:30", "ends": "20:00", "reason": "地板维修"},
    )
    assert resp.status_code == 302
    detail = resp.location
    page = html(client.get(detail))
    assert 'data-testid="keep-all"' in page and 'data-testid="cancel-all"' in page and 'data-testid="kept"' not in page
    # the worker is told the time is closed, and that the host has not decided yet
    mine = html(worker.get(f"/bookings/{a.id}"))
    assert 'data-kept="no"' in mine and "地板维修" in mine
    # the schedule shows the blackout and the booking in conflict, still to decide
    day = tomorrow().isoformat()
    schedule = html(client.get(f"/staff/today?date={day}"))
    assert 'data-testid="day-blackout"' in schedule and "18:30–20:00" in schedule
    assert f'data-id="{a.id}" data-conflict="open"' in schedule
    assert f'class="st-slot" data-testid="booking" data-id="{outside.id}">' in schedule
    # without the form's token nothing is recorded
    resp = client.http.post(detail + "/keep-bookings")
    assert resp.status_code == 400 and kept_entries() == []
    resp = client.post_form(detail + "/keep-bookings", {}, csrf_from=detail)
    assert resp.status_code == 302 and resp.location == detail
    assert kept_entries() == [a.id] and status(a.id) == "confirmed"
    page = html(client.get(detail))
    assert 'data-testid="kept"' in page and 'data-testid="keep-all"' not in page
    assert f'data-id="{a.id}" data-conflict="kept"' in html(client.get(f"/staff/today?date={day}"))
    mine = html(worker.get(f"/bookings/{a.id}"))
    assert 'data-kept="yes"' in mine and 'data-testid="qr"' in mine


def test_other_hosts_staff_cannot_keep_our_bookings(client, world):
    book(world.worker, world.court, 19)
    client.login("staff")
    client.post_form(
        f"/staff/facilities/{world.court.id}/blackouts",
        {"day": tomorrow().isoformat(), "starts": "18:30", "ends": "20:00", "reason": "维修"},
    )
    bid = db.session.scalar(select(Blackout.id))
    other = type(client)(client.app)
    other.login("other_staff")
    assert other.post_form(f"/staff/blackouts/{bid}/keep-bookings", {}, csrf_from="/staff/pending").status_code == 404
    assert kept_entries() == []
