"""Enterprise admins book a weekly team slot from the web; each week answered on its own."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Reservation
from tests import world as w

TZ = "Asia/Shanghai"


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False)


def count():
    return db.session.scalar(select(func.count(Reservation.id)))


def test_series_books_what_it_can_and_says_why_not(client, world):
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    # A worker holds the court at 19:00 tomorrow; a week later is beyond the 7-day window.
    services.book(world.worker, world.court.id, timeutil.local_to_utc(day, 19 * 60, TZ))
    client.login("entadmin")
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/")
    r = client.post_form(
        "/bookings/series/",
        {
            "facility_id": str(world.court.id),
            "first_day": day.isoformat(),
            "at": "19:00",
            "weeks": "2",
            "party_size": "2",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "0 of 2 weeks booked" in html
    assert "That slot is full." in html and "It is too late to book" not in html
    r = client.post_form(
        "/bookings/series/",
        {
            "facility_id": str(world.court.id),
            "first_day": day.isoformat(),
            "at": "20:00",
            "weeks": "2",
            "party_size": "2",
        },
    )
    html = r.get_data(as_text=True)
    assert "1 of 2 weeks booked" in html
    assert re.search(r"Booking for that day opens at", html)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"weeks": "0"}, "Enter a number from 1 to 26."),
        ({"weeks": "27"}, "Enter a number from 1 to 26."),
        ({"weeks": "abc"}, "Enter a number from 1 to 26."),
        ({"first_day": "2026-02-30"}, "Enter a date like"),
        ({"at": "25:00"}, "Enter a time like 19:00."),
        ({"party_size": "0"}, "Enter a number from 1 to 50."),
        ({"facility_id": "999999"}, "Not a valid choice"),
    ],
)
def test_bad_series_input_changes_nothing(client, world, data, message):
    client.login("entadmin")
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/")
    before = count()
    form = {
        "facility_id": str(world.gym.id),
        "first_day": "2026-12-01",
        "at": "19:00",
        "weeks": "2",
        "party_size": "1",
        **data,
    }
    r = client.post_form("/bookings/series/", form)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert count() == before


@pytest.mark.parametrize("username", ["worker", "staff", "other_staff"])
def test_only_enterprise_admins(client, world, username):
    client.login(username)
    assert client.get("/bookings/series/").status_code == 403


# --- the series list: pause some weeks, cancel the whole series ----------------------------------


@pytest.fixture
def hall(world):
    from tests import factories as f

    return f.facility(world.court.venue, "多功能厅", kind="gym", capacity=3, window_days=60)


def _series(world, hall, weeks=3):
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=2)
    booked = services.book_series(world.admin, hall.id, timeutil.local_to_utc(day, 19 * 60, TZ), weeks=weeks)
    assert all(o["ok"] for o in booked.results)
    return booked


def _statuses(series_id):
    return [
        r.status
        for r in db.session.scalars(
            select(Reservation).where(Reservation.series_id == series_id).order_by(Reservation.start_at)
        )
    ]


def test_the_list_shows_the_series_and_pausing_skips_weeks(client, world, hall):
    booked = _series(world, hall)
    sid = booked.series.id
    client.login("entadmin")
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/")
    page = client.get("/bookings/series/list")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('data-testid="occurrence"') == 3
    assert f'id="s{sid}-first_day"' in html
    second = timeutil.local_date(booked.results[1]["start"], TZ).isoformat()
    r = client.post_form(
        f"/bookings/series/{sid}/pause", {"first_day": second, "last_day": second}, csrf_from="/bookings/series/list"
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("/bookings/series/list")
    assert _statuses(sid) == ["confirmed", "cancelled", "confirmed"]
    html = client.get("/bookings/series/list").get_data(as_text=True)
    assert "1 booking cancelled." in html and html.count('data-testid="skipped"') == 1


@pytest.mark.parametrize(
    "data, status, message",
    [
        ({"first_day": "2026-02-30", "last_day": "2026-03-01"}, 400, "Enter a date like 2026-11-25."),
        ({"first_day": "2026-12-09", "last_day": "2026-12-02"}, 422, "The last day must be on or after the first day."),
    ],
)
def test_a_bad_pause_says_why_and_changes_nothing(client, world, hall, data, status, message):
    sid = _series(world, hall).series.id
    client.login("entadmin")
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/")
    r = client.post_form(f"/bookings/series/{sid}/pause", data, csrf_from="/bookings/series/list")
    assert r.status_code == status and message in r.get_data(as_text=True)
    assert _statuses(sid) == ["confirmed"] * 3


def test_cancelling_the_series_cancels_its_weeks_once(client, world, hall):
    sid = _series(world, hall).series.id
    client.login("entadmin")
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/")
    r = client.post_form(f"/bookings/series/{sid}/cancel", {}, csrf_from="/bookings/series/list")
    assert r.status_code == 303
    assert _statuses(sid) == ["cancelled"] * 3
    html = client.get("/bookings/series/list").get_data(as_text=True)
    assert "The series is cancelled. 3 bookings cancelled." in html and 'data-testid="pause-form"' not in html
    r = client.post_form(f"/bookings/series/{sid}/cancel", {}, csrf_from="/bookings/series/list")
    assert r.status_code == 409 and "This series is already cancelled." in r.get_data(as_text=True)


@pytest.mark.parametrize("username, status", [("worker", 403), ("staff", 403), ("outsider", 403)])
def test_only_the_enterprises_admins_list_and_change(client, world, hall, username, status):
    sid = _series(world, hall).series.id
    client.login(username)
    assert client.get("/bookings/series/list").status_code == status
    r = client.post_form(f"/bookings/series/{sid}/cancel", {}, csrf_from="/")
    assert r.status_code == status
    assert _statuses(sid) == ["confirmed"] * 3


def test_another_enterprises_admin_gets_404(client, world, hall):
    from tests import factories as f

    f.user("otheradmin", world.other_ent, roles=[("enterprise_admin", world.other_ent)])
    sid = _series(world, hall).series.id
    client.login("otheradmin")
    assert 'data-testid="series"' not in client.get("/bookings/series/list").get_data(as_text=True)
    r = client.post_form(f"/bookings/series/{sid}/cancel", {}, csrf_from="/bookings/series/list")
    assert r.status_code == 404
    assert _statuses(sid) == ["confirmed"] * 3
