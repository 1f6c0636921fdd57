"""A double tap on a form books once, and both taps land on the booking (SQLite and PostgreSQL).

Each rendered form carries its own key in a hidden field; the second submit of that form gets
the first one's redirect and messages instead of "you already have a booking at that time".
"""

import re

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.extensions import db
from booking.idempotency.models import IdempotencyKey
from booking.idempotency.services import request_hash
from booking.reservations import services
from booking.reservations.models import Reservation
from tests.conftest import BACKENDS
from tests.world import TZ, build, tomorrow_at


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def world(ctx):
    return build()


@pytest.fixture
def worker(client, world):
    client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    assert client.login("worker").status_code == 302
    return client


def form_of(client, path) -> dict:
    """The hidden fields of the page's form, as the browser would send them."""
    html = client.get(path).get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', html))
    fields.update(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    return fields


def booking_page(facility, start) -> str:
    return f"/bookings/new?facility_id={facility.id}&start={timeutil.isoformat_local(start, TZ).replace('+', '%2B')}"


def reservations() -> int:
    return db.session.scalar(select(func.count(Reservation.id)))


def test_the_booking_and_cancel_forms_carry_a_fresh_key(worker, world):
    one = form_of(worker, booking_page(world.gym, tomorrow_at(19)))
    two = form_of(worker, booking_page(world.gym, tomorrow_at(19)))
    assert one["idempotency_key"] and one["idempotency_key"] != two["idempotency_key"]
    assert {"csrf_token", "facility_id", "start"} <= set(one)
    mine = services.book(world.worker, world.gym.id, tomorrow_at(20), 1)
    assert form_of(worker, f"/bookings/{mine.id}")["idempotency_key"]


def test_a_double_tap_books_once_and_both_land_on_the_booking(worker, world):
    data = form_of(worker, booking_page(world.gym, tomorrow_at(19)))
    data["party_size"] = "2"
    first = worker.http.post("/bookings/new", data=data)
    second = worker.http.post("/bookings/new", data=data)
    mine = db.session.scalar(select(Reservation))
    assert reservations() == 1 and mine.party_size == 2
    assert first.status_code == second.status_code == 302
    assert first.location == second.location == f"/bookings/{mine.id}"
    html = worker.get(second.location).get_data(as_text=True)
    assert "Booked and confirmed" in html and "You already have a booking" not in html


def test_without_the_key_the_second_tap_is_told_it_failed(worker, world):
    """The control (what issue 15 saw): a form without the field behaves as before."""
    data = form_of(worker, booking_page(world.gym, tomorrow_at(19)))
    del data["idempotency_key"]
    assert worker.http.post("/bookings/new", data=data).status_code == 302
    second = worker.http.post("/bookings/new", data=data)
    assert second.status_code == 409 and "You already have a booking at that time." in second.get_data(as_text=True)
    assert reservations() == 1


def test_a_form_shown_again_with_an_error_can_be_corrected_and_sent(worker, world):
    data = form_of(worker, booking_page(world.gym, tomorrow_at(19)))
    bad = worker.http.post("/bookings/new", data={**data, "party_size": "abc"})
    assert bad.status_code == 422
    shown = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', bad.get_data(as_text=True))
    assert shown and shown.group(1) != data["idempotency_key"]  # the form shown again is a new request
    good = worker.http.post("/bookings/new", data={**data, "party_size": "2"})
    assert good.status_code == 302 and reservations() == 1


def test_a_double_tap_on_cancel_lands_on_the_cancelled_booking(worker, world):
    mine = services.book(world.worker, world.gym.id, tomorrow_at(19), 1)
    data = form_of(worker, f"/bookings/{mine.id}")
    first = worker.http.post(f"/bookings/{mine.id}/cancel", data=data)
    second = worker.http.post(f"/bookings/{mine.id}/cancel", data=data)
    assert first.status_code == second.status_code == 302 and first.location == second.location
    html = worker.get(second.location).get_data(as_text=True)
    assert "Your booking is cancelled." in html and "can no longer be cancelled" not in html
    assert db.session.get(Reservation, mine.id).status == "cancelled"


def test_an_old_form_sent_again_with_other_details_is_refused(worker, world):
    data = form_of(worker, booking_page(world.gym, tomorrow_at(19)))
    assert worker.http.post("/bookings/new", data={**data, "party_size": "1"}).status_code == 302
    again = worker.http.post("/bookings/new", data={**data, "party_size": "3"})
    assert again.status_code == 422 and "This form was already sent." in again.get_data(as_text=True)
    assert reservations() == 1


def test_a_bad_key_in_a_form_is_refused(worker, world):
    data = form_of(worker, booking_page(world.gym, tomorrow_at(19)))
    r = worker.http.post("/bookings/new", data={**data, "idempotency_key": "x" * 65})
    assert r.status_code == 400 and reservations() == 0


def test_a_booking_committed_by_a_dead_process_is_where_the_retry_lands(worker, world):
    data = form_of(worker, booking_page(world.gym, tomorrow_at(19)))
    data["party_size"] = "1"
    mine = services.book(world.worker, world.gym.id, tomorrow_at(19), 1)
    from urllib.parse import urlencode

    fields = sorted((k, v) for k, v in data.items() if k not in ("csrf_token", "idempotency_key"))
    now = timeutil.utcnow()
    db.session.add(
        IdempotencyKey(
            caller=f"user:{world.worker.id}",
            idem_key=data["idempotency_key"],
            request_hash=request_hash("POST", "/bookings/new", urlencode(fields).encode()),
            created_at=now,
            claimed_at=now,
            outcome=f"reservations:{mine.id}",
        )
    )
    db.session.commit()
    r = worker.http.post("/bookings/new", data=data)
    assert r.status_code == 302 and r.location == f"/bookings/{mine.id}" and reservations() == 1
