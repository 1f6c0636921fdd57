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
    r = client.post_form("/bookings/series/", {"facility_id": str(world.court.id), "first_day": day.isoformat(),
                                               "at": "19:00", "weeks": "2", "party_size": "2"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "0 of 2 weeks booked" in html
    assert "That slot is full." in html and "It is too late to book" not in html
    r = client.post_form("/bookings/series/", {"facility_id": str(world.court.id), "first_day": day.isoformat(),
                                               "at": "20:00", "weeks": "2", "party_size": "2"})
    html = r.get_data(as_text=True)
    assert "1 of 2 weeks booked" in html
    assert re.search(r"Booking for that day opens at", html)


@pytest.mark.parametrize("data, message", [
    ({"weeks": "0"}, "Enter a number from 1 to 26."), ({"weeks": "27"}, "Enter a number from 1 to 26."),
    ({"weeks": "abc"}, "Enter a number from 1 to 26."), ({"first_day": "2026-02-30"}, "Enter a date like"),
    ({"at": "25:00"}, "Enter a time like 19:00."), ({"party_size": "0"}, "Enter a number from 1 to 50."),
    ({"facility_id": "999999"}, "Not a valid choice"),
])
def test_bad_series_input_changes_nothing(client, world, data, message):
    client.login("entadmin")
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/")
    before = count()
    form = {"facility_id": str(world.gym.id), "first_day": "2026-12-01", "at": "19:00", "weeks": "2",
            "party_size": "1", **data}
    r = client.post_form("/bookings/series/", form)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert count() == before


@pytest.mark.parametrize("username", ["worker", "staff", "other_staff"])
def test_only_enterprise_admins(client, world, username):
    client.login(username)
    assert client.get("/bookings/series/").status_code == 403
