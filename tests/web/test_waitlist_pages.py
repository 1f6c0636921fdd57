"""Waitlist screens through the test client: join from a full slot, my line, accept, decline,
leave; notices; the staff's day schedule shows the line. Pages are read in English."""

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.reservations import services as reservations
from booking.reservations.models import Reservation
from booking.waitlist import services as waitlist
from booking.waitlist.models import WaitlistEntry
from tests.world import TZ, build, iso, tomorrow_at

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(ctx):
    world = build(court_approval=False)
    world.first = reservations.book(world.admin, world.court.id, tomorrow_at(19))
    return world


def signed_in(client, username):
    client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    client.login(username)
    return client


def test_full_slot_offers_the_waitlist_and_joining_puts_me_in_line(client, world):
    signed_in(client, "worker")
    day = timeutil.local_date(tomorrow_at(19), TZ).isoformat()
    grid = client.get(f"/facilities/{world.court.id}?date={day}", headers=EN).get_data(as_text=True)
    assert grid.count('data-testid="join-waitlist"') == 1
    path = f"/waitlist/join?facility_id={world.court.id}&start={iso(tomorrow_at(19))}"
    assert client.get(path, headers=EN).status_code == 200
    r = client.post_form(
        "/waitlist/join",
        {"facility_id": str(world.court.id), "start": iso(tomorrow_at(19)), "party_size": "1", "auto_book": "y"},
        csrf_from=path,
        headers=EN,
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/waitlist/")
    page = client.get("/waitlist/", headers=EN).get_data(as_text=True)
    assert "You are number 1 in line." in page
    again = client.post_form(
        "/waitlist/join",
        {"facility_id": str(world.court.id), "start": iso(tomorrow_at(19)), "party_size": "1"},
        csrf_from=path,
        headers=EN,
    )
    assert again.status_code == 409 and "already waiting" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WaitlistEntry.id))) == 1


def test_offer_accept_from_the_page_then_notices(client, world):
    entry = waitlist.join(world.worker, world.court.id, tomorrow_at(19), auto_book=False)
    reservations.cancel(world.admin, world.first.id)
    signed_in(client, "worker")
    page = client.get("/waitlist/", headers=EN).get_data(as_text=True)
    assert 'data-testid="countdown"' in page and "js/countdown.js?v=" in page and "onclick" not in page
    r = client.post_form(f"/waitlist/{entry.id}/accept", {}, csrf_from="/waitlist/", headers=EN)
    assert r.status_code == 302 and "/bookings/" in r.headers["Location"]
    assert db.session.scalar(select(Reservation.status).where(Reservation.user_id == world.worker.id)) == "confirmed"
    notes = client.get("/bookings/notifications", headers=EN).get_data(as_text=True)
    assert "A place freed up for you: accept it in time." in notes


def test_decline_passes_it_on_and_leave_the_line(client, world):
    entry = waitlist.join(world.worker, world.court.id, tomorrow_at(19), auto_book=False)
    other = waitlist.join(world.worker2, world.court.id, tomorrow_at(19))
    reservations.cancel(world.admin, world.first.id)
    signed_in(client, "worker")
    r = client.post_form(f"/waitlist/{entry.id}/cancel", {}, csrf_from="/waitlist/", headers=EN)
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry.id).status == "cancelled"
    assert db.session.get(WaitlistEntry, other.id).status == "booked"


def test_staff_day_schedule_shows_the_line(client, world):
    waitlist.join(world.worker, world.court.id, tomorrow_at(19))
    signed_in(client, "staff")
    day = timeutil.local_date(tomorrow_at(19), TZ).isoformat()
    page = client.get(f"/staff/today?date={day}", headers=EN).get_data(as_text=True)
    assert page.count('data-testid="waitlist-entry"') == 1 and "Waitlist 19:00" in page


def test_someone_elses_entry_is_not_found(client, world):
    entry = waitlist.join(world.worker, world.court.id, tomorrow_at(19))
    signed_in(client, "worker2")
    r = client.post_form(f"/waitlist/{entry.id}/cancel", {}, csrf_from="/waitlist/", headers=EN)
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry.id).status == "waiting"


def test_host_admin_sets_the_offer_time(client, world):
    from tests import factories as f

    f.user("hostadmin", roles=[("host_admin", world.host)])
    signed_in(client, "hostadmin")
    path = f"/waitlist/settings/{world.host.id}"
    assert 'value="15"' in client.get(path, headers=EN).get_data(as_text=True)
    r = client.post_form(path, {"offer_minutes": "30"}, headers=EN)
    assert r.status_code == 302
    assert 'value="30"' in client.get(path, headers=EN).get_data(as_text=True)
    bad = client.post_form(path, {"offer_minutes": "0"}, headers=EN)
    assert bad.status_code == 422 and "1 to 1440 minutes" in bad.get_data(as_text=True)
    assert 'value="30"' in client.get(path, headers=EN).get_data(as_text=True)


def test_only_the_hosts_admin_sees_its_waitlist_settings(client, world):
    signed_in(client, "staff")
    assert client.get(f"/waitlist/settings/{world.host.id}", headers=EN).status_code == 404
