"""Worker screens through the test client: browse, book, my bookings, cancel, notifications.

The views read the real clock, so the data here is built relative to timeutil.utcnow():
"tomorrow at 19:00" in Ningbo is always inside the 7-day window and before the cutoff.
Pages are read in English so the assertions do not depend on the Chinese catalog.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Notification, Reservation
from tests import factories as f
from tests.world import TZ, build, iso, tomorrow_at


def tomorrow() -> str:
    return (timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)).isoformat()


def reservations() -> int:
    return db.session.scalar(select(func.count(Reservation.id)))


@pytest.fixture
def world(ctx):
    return build()


@pytest.fixture
def worker(client, world):
    client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    assert client.login("worker").status_code == 302
    return client


def book_form(client, facility, start, party_size=None):
    path = f"/bookings/new?facility_id={facility.id}&start={iso(start).replace('+', '%2B')}"
    data = {"facility_id": str(facility.id), "start": iso(start)}
    if party_size is not None:
        data["party_size"] = party_size
    return client.post_form("/bookings/new", data, csrf_from=path)


# --- browsing -----------------------------------------------------------------------------


def test_list_shows_only_facilities_shared_with_my_enterprise(worker, world):
    html = worker.get("/facilities/").get_data(as_text=True)
    assert "羽毛球场 1 号" in html and "健身房" in html and "春晓基地" in html
    assert "篮球场" not in html and "灵峰" not in html
    assert "Needs approval" in html  # the court needs the host's approval
    assert worker.get(f"/facilities/{world.other_court.id}").status_code == 404
    assert worker.get(f"/facilities/{world.court.id}").status_code == 200


def test_list_filters_by_kind_and_host(worker, world):
    html = worker.get("/facilities/?kind=gym").get_data(as_text=True)
    assert "健身房" in html and "羽毛球场 1 号" not in html
    html = worker.get(f"/facilities/?host={world.other_host.id}").get_data(as_text=True)
    assert "Unknown host" in html and "健身房" in html  # not a host of mine: ignored


@pytest.mark.parametrize(
    "query",
    [
        "date=2026-13-45",
        "date=yesterday",
        "date=99999-01-01",
        "kind=spaceship",
        "host=abc",
        "host=99999999999999",
        "host=²",
        "date=%00",
        "date=9999-12-31",
        "kind=&host=&date=",
    ],
)
def test_bad_list_filters_are_ignored_with_a_note(worker, world, query):
    r = worker.get("/facilities/?" + query)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "健身房" in html
    if query != "kind=&host=&date=":
        assert 'data-testid="note"' in html


def test_day_view_shows_places_left_and_taken_courts(worker, world, app):
    start = tomorrow_at(19)
    services.book(world.worker2, world.gym.id, start, 2)
    services.book(world.worker2, world.court.id, tomorrow_at(20), 1)
    html = worker.get(f"/facilities/{world.gym.id}?date={tomorrow()}").get_data(as_text=True)
    tile = re.search(rf'data-start="{re.escape(iso(start))}"[^>]*>(.*?)</a>', html, re.S).group(1)
    assert "19:00–20:00" in tile and "3 left" in tile
    html = worker.get(f"/facilities/{world.court.id}?date={tomorrow()}").get_data(as_text=True)
    assert re.search(rf'data-bookable="0" data-reason="slot_full" data-start="{re.escape(iso(tomorrow_at(20)))}"', html)
    assert "Taken" in html and "Free" in html
    assert html.count('class="date-chip') == 8  # today + the 7-day window


def test_day_view_greys_closed_and_past_slots(worker, world):
    html = worker.get(f"/facilities/{world.gym.id}").get_data(as_text=True)
    if timeutil.to_local(timeutil.utcnow(), TZ).hour >= 9:
        assert 'data-reason="outside_window"' in html and "Past" in html
    day_after_window = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=9)
    html = worker.get(f"/facilities/{world.gym.id}?date={day_after_window}").get_data(as_text=True)
    assert 'data-bookable="1"' not in html and "Not open for booking yet" in html


@pytest.mark.parametrize("value", ["2026-02-30", "nope", "2026-1-1", "1900-01-01"])
def test_day_view_bad_date_falls_back_to_today(worker, world, value):
    r = worker.get(f"/facilities/{world.gym.id}?date={value}")
    assert r.status_code == 200 and "The date was not understood" in r.get_data(as_text=True)


def test_finder_lists_bookable_slots_of_a_kind(worker, world):
    services.book(world.worker2, world.court.id, tomorrow_at(19), 1)
    html = worker.get("/facilities/find?kind=badminton&when=tomorrow").get_data(as_text=True)
    assert "羽毛球场 1 号" in html and "健身房" not in html
    assert f'data-start="{iso(tomorrow_at(20))}"' in html
    assert f'data-start="{iso(tomorrow_at(19))}"' not in html  # taken
    html = worker.get("/facilities/find?kind=basketball&when=weekend").get_data(as_text=True)
    assert "篮球场" not in html  # another host's, not shared with us
    r = worker.get("/facilities/find?kind=rocket&when=someday")
    assert r.status_code == 200 and "Unknown kind" in r.get_data(as_text=True)


def test_finder_queries_do_not_grow_with_slots(worker, world, app):
    from sqlalchemy import event

    venue = world.court.venue
    for i in range(4):
        f.facility(venue, f"羽毛球场 {i + 2} 号")
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert worker.get("/facilities/find?kind=badminton&when=weekend").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # 5 courts x 2 days x 14 slots: a few queries per facility and day, never one per slot.
    assert len(statements) < 5 * 2 * 5, "\n".join(s.split("\n")[0][:120] for s in statements)


# --- booking ------------------------------------------------------------------------------


def test_confirmation_page_shows_the_slot_and_party_size_only_where_it_counts(worker, world):
    start = tomorrow_at(19)
    html = worker.get(f"/bookings/new?facility_id={world.court.id}&start={iso(start).replace('+', '%2B')}").get_data(
        as_text=True
    )
    assert "羽毛球场 1 号" in html and "19:00–20:00" in html and "春晓基地" in html
    assert 'type="hidden" name="party_size" value="1"' in html and "How many people" not in html
    # A hand-typed "+" arrives as a space: still understood.
    html = worker.get(f"/bookings/new?facility_id={world.gym.id}&start={iso(start)}").get_data(as_text=True)
    assert "How many people" in html and "5 of 5 places left" in html


def test_booking_a_court_is_pending_until_approved(worker, world):
    r = book_form(worker, world.court, tomorrow_at(19))
    assert r.status_code == 302
    reservation = db.session.scalar(select(Reservation))
    assert r.location == f"/bookings/{reservation.id}"
    assert reservation.status == "pending" and reservation.user_id == world.worker.id
    html = worker.get(r.location).get_data(as_text=True)
    assert "The host will approve it" in html and reservation.code in html
    assert 'data-status="pending"' in html and "Pending approval" in html


def test_booking_the_gym_is_confirmed_with_its_party(worker, world):
    r = book_form(worker, world.gym, tomorrow_at(19), "3")
    assert r.status_code == 302
    reservation = db.session.scalar(select(Reservation))
    assert (reservation.status, reservation.party_size, reservation.places) == ("confirmed", 3, 3)
    html = worker.get(r.location).get_data(as_text=True)
    assert "Booked and confirmed" in html and 'data-testid="party-size">3<' in html


def test_booking_a_full_slot_rerenders_with_the_message_and_changes_nothing(worker, world):
    services.book(world.worker2, world.court.id, tomorrow_at(19), 1)
    before = reservations()
    r = book_form(worker, world.court, tomorrow_at(19))
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "That slot is full." in html and 'data-testid="booking-error"' in html
    assert reservations() == before


def test_overlap_and_worker_limit_are_told(ctx, client):
    w = build(per_worker=1)
    client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    client.login("worker")
    assert book_form(client, w.gym, tomorrow_at(19), "1").status_code == 302
    r = book_form(client, w.court, tomorrow_at(20))
    assert r.status_code == 409 and "the most your enterprise" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "party, message, status",
    [
        ("abc", "The party size must be a whole number.", 422),
        ("", "The party size must be a whole number.", 422),
        ("2.5", "The party size must be a whole number.", 422),
        ("99999999999", "The party size must be a whole number.", 422),
        ("²", "The party size must be a whole number.", 422),
        ("-1", "The party size must be a whole number.", 422),
        ("0", "The party size must be between 1 and 5.", 422),
        ("6", "The party size must be between 1 and 5.", 422),
    ],
)
def test_bad_party_size_is_told_and_changes_nothing(worker, world, party, message, status):
    r = book_form(worker, world.gym, tomorrow_at(19), party)
    assert r.status_code == status
    assert message in r.get_data(as_text=True)
    assert reservations() == 0


@pytest.mark.parametrize(
    "start",
    [
        "nonsense",
        "2026-02-30T19:00:00+08:00",
        "",
        "1" * 300,
        "9999-12-31T23:00:00+08:00",
        "0001-01-01T00:00:00-23:59",
        "２０２６-１１-２５T19:00",
    ],
)
def test_bad_start_gives_a_clear_message(worker, world, start):
    r = worker.get(f"/bookings/new?facility_id={world.gym.id}&start={start}")
    assert r.status_code == 422 and "This booking link is not valid" in r.get_data(as_text=True)
    r = worker.post_form(
        "/bookings/new", {"facility_id": str(world.gym.id), "start": start, "party_size": "1"}, csrf_from="/facilities/"
    )
    assert r.status_code == 422 and "This booking link is not valid" in r.get_data(as_text=True)
    assert reservations() == 0


def test_a_start_between_slots_or_outside_the_window(worker, world):
    r = worker.get(f"/bookings/new?facility_id={world.gym.id}&start={iso(tomorrow_at(19) + timedelta(minutes=30))}")
    assert r.status_code == 422 and "There is no slot starting at that time" in r.get_data(as_text=True)
    far = tomorrow_at(19) + timedelta(days=10)
    r = worker.get(f"/bookings/new?facility_id={world.gym.id}&start={iso(far)}")
    assert r.status_code == 200 and "This slot cannot be booked" in r.get_data(as_text=True)
    assert 'data-testid="confirm-booking"' not in r.get_data(as_text=True)
    r = book_form(worker, world.gym, far, "1")
    assert r.status_code == 409 and "Booking for that day opens at" in r.get_data(as_text=True)
    assert reservations() == 0


@pytest.mark.parametrize("facility_id", ["abc", "", "999999", "1" * 30, "²", "٣", "-1"])
def test_bad_or_unknown_facility(worker, world, facility_id):
    r = worker.get(f"/bookings/new?facility_id={facility_id}&start={iso(tomorrow_at(19))}")
    assert r.status_code in (404, 422)


def test_booking_another_hosts_facility_is_not_found(worker, world):
    r = book_form(worker, world.other_court, tomorrow_at(19))
    assert r.status_code == 404 and reservations() == 0


def test_forms_without_csrf_are_refused(worker, world):
    r = worker.http.post(
        "/bookings/new", data={"facility_id": str(world.gym.id), "start": iso(tomorrow_at(19)), "party_size": "1"}
    )
    assert r.status_code == 400 and reservations() == 0
    mine = services.book(world.worker, world.gym.id, tomorrow_at(19), 1)
    assert worker.http.post(f"/bookings/{mine.id}/cancel").status_code == 400
    assert db.session.get(Reservation, mine.id).status == "confirmed"
    assert worker.http.post("/bookings/notifications/read").status_code == 400


# --- my bookings, the booking page, cancelling ----------------------------------------------


def test_my_bookings_upcoming_and_past(worker, world):
    mine = services.book(world.worker, world.gym.id, tomorrow_at(19), 1)
    services.book(world.worker2, world.gym.id, tomorrow_at(20), 1)  # someone else's
    html = worker.get("/bookings/").get_data(as_text=True)
    assert html.count('data-testid="booking"') == 1
    assert f'href="/bookings/{mine.id}"' in html and "Confirmed" in html
    html = worker.get("/bookings/?tab=past").get_data(as_text=True)
    assert 'data-testid="booking"' not in html and "No past bookings yet." in html


def test_booking_page_shows_code_and_cancel_button(worker, world):
    mine = services.book(world.worker, world.gym.id, tomorrow_at(19), 2)
    html = worker.get(f"/bookings/{mine.id}").get_data(as_text=True)
    assert mine.code in html and "健身房" in html and "北仑区" in html and "19:00–20:00" in html
    assert 'data-testid="cancel-booking"' in html


def test_cancel_works_and_gives_the_place_back(worker, world):
    mine = services.book(world.worker, world.court.id, tomorrow_at(19), 1)
    r = worker.post_form(f"/bookings/{mine.id}/cancel", {}, csrf_from=f"/bookings/{mine.id}")
    assert r.status_code == 302 and r.location == f"/bookings/{mine.id}"
    assert db.session.get(Reservation, mine.id).status == "cancelled"
    html = worker.get(r.location).get_data(as_text=True)
    assert "Your booking is cancelled." in html and 'data-testid="cancel-booking"' not in html
    assert 'data-status="cancelled"' in html
    # The slot is free again.
    assert book_form(worker, world.court, tomorrow_at(19)).status_code == 302


def test_too_late_cancel_is_refused(ctx, client):
    w = build()
    late = f.facility(w.court.venue, "阅览室", kind="reading_room", capacity=10, cancel_cutoff_minutes=3 * 24 * 60)
    client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    client.login("worker")
    mine = services.book(w.worker, late.id, tomorrow_at(19), 1)
    html = client.get(f"/bookings/{mine.id}").get_data(as_text=True)
    assert 'data-testid="cancel-booking"' not in html
    r = client.post_form(f"/bookings/{mine.id}/cancel", {}, csrf_from=f"/bookings/{mine.id}")
    assert r.status_code == 302
    assert "Bookings can be cancelled up to 72h before they start." in client.get(r.location).get_data(as_text=True)
    assert db.session.get(Reservation, mine.id).status == "confirmed"


def test_another_workers_booking_is_not_found(worker, world):
    theirs = services.book(world.worker2, world.gym.id, tomorrow_at(19), 1)
    assert worker.get(f"/bookings/{theirs.id}").status_code == 404
    r = worker.post_form(f"/bookings/{theirs.id}/cancel", {}, csrf_from="/bookings/")
    assert r.status_code == 404
    assert db.session.get(Reservation, theirs.id).status == "confirmed"
    assert worker.get("/bookings/999999").status_code == 404


def test_pages_need_sign_in(client, world):
    for path in ["/facilities/", "/facilities/find", "/bookings/", "/bookings/notifications", "/bookings/new"]:
        r = client.get(path)
        assert r.status_code == 302 and r.location.startswith("/login"), path
    # a facility link shared in a chat opens the facility's public page (nothing private on it)
    r = client.get(f"/facilities/{world.gym.id}")
    assert r.status_code == 302 and r.location == f"/facilities/{world.gym.id}/about"


# --- notifications ------------------------------------------------------------------------


def test_notifications_show_decisions_and_are_marked_read_by_a_post(worker, world):
    a = services.book(world.worker, world.court.id, tomorrow_at(19), 1)
    b = services.book(world.worker, world.gym.id, tomorrow_at(21), 1)
    services.decide(world.staff, a.id, approve=False, reason="场地维修")
    services.host_cancel(world.staff, b.id, "单位活动")
    html = worker.get("/bookings/").get_data(as_text=True)
    assert 'data-testid="unread-count">2<' in html
    html = worker.get("/bookings/notifications").get_data(as_text=True)
    assert "Your booking was rejected." in html and "场地维修" in html
    assert "The host cancelled your booking." in html and "单位活动" in html
    assert html.count('data-unread="1"') == 2
    # Reading the page does not write; the button does.
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_(None))) == 2
    r = worker.post_form("/bookings/notifications/read", {}, csrf_from="/bookings/notifications")
    assert r.status_code == 302
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_(None))) == 0
    assert 'data-testid="unread-count"' not in worker.get("/bookings/").get_data(as_text=True)
    html = worker.get(f"/bookings/{a.id}").get_data(as_text=True)
    assert "Reason for rejection:" in html and "场地维修" in html


def test_pages_render_in_chinese_by_default(client, world):
    client.login("worker")
    for path in [
        "/facilities/",
        f"/facilities/{world.gym.id}",
        "/facilities/find?kind=gym&when=weekend",
        "/bookings/",
        "/bookings/notifications",
    ]:
        r = client.get(path)
        assert r.status_code == 200 and '<html lang="zh-CN">' in r.get_data(as_text=True), path


def test_finder_days():
    from datetime import date

    from booking.reservations.finder import finder_days

    tuesday, saturday, sunday = date(2026, 11, 24), date(2026, 11, 28), date(2026, 11, 29)
    assert finder_days("tonight", tuesday) == [tuesday]
    assert finder_days("tomorrow", tuesday) == [date(2026, 11, 25)]
    assert finder_days("weekend", tuesday) == [saturday, sunday]
    assert finder_days("weekend", saturday) == [saturday, sunday]
    assert finder_days("weekend", sunday) == [sunday]
