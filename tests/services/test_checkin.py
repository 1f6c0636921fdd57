"""Signed QR codes and the door scan: every result of the contract, on both databases."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from pyzbar.pyzbar import decode
from sqlalchemy import func, select

from booking.checkin import images, keys, services, tokens
from booking.checkin.models import CheckinEvent
from booking.errors import Forbidden
from booking.extensions import db
from booking.reservations import services as bookings
from booking.reservations.models import Reservation
from tests import factories as f
from tests import world as w

AT_START = w.SLOT


@pytest.fixture
def world(ctx):
    return w.build(court_approval=True)


@pytest.fixture
def booking(world):
    r = bookings.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    bookings.decide(world.staff, r.id, approve=True, now=w.NOW)
    return r


def events() -> int:
    return db.session.scalar(select(func.count(CheckinEvent.id)))


def test_png_decodes_with_zbar_to_a_token_that_verifies(booking):
    token = services.token_for(booking)
    decoded = decode(Image.open(io.BytesIO(images.png(token))))
    assert [d.data.decode() for d in decoded] == [token]
    claims = tokens.peek(token)
    host_id, public = keys.public_key(claims.kid)
    assert tokens.verify(token, public) == claims
    assert (host_id, claims.reservation_id) == (booking.host_id, booking.id)
    assert claims.valid_from == w.SLOT - timedelta(minutes=15)
    assert claims.valid_until == w.SLOT + timedelta(minutes=15)
    assert images.version(token) <= 6  # a small code scans fast


def test_svg_is_a_qr_of_the_same_token(booking):
    token = services.token_for(booking)
    svg = images.svg(token).decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "path" in svg


def test_token_has_no_personal_data(booking, world):
    token = services.token_for(booking)
    assert world.worker.username.upper() not in token and "WORKER" not in token
    assert len(token) == 130


def test_first_scan_ok_then_already_checked_in(booking, world):
    token = services.token_for(booking)
    result, r = services.scan(world.staff, token, now=AT_START)
    assert result == "ok" and r.status == "checked_in" and r.checked_in_at == AT_START
    assert services.scan(world.staff, token, now=AT_START + timedelta(minutes=1))[0] == "already_checked_in"
    assert events() == 2


@pytest.mark.parametrize(
    "offset, expected",
    [
        (timedelta(minutes=-16), "too_early"),
        (timedelta(minutes=-15), "ok"),
        (timedelta(minutes=15), "ok"),
        (timedelta(minutes=15, seconds=1), "too_late"),
    ],
)
def test_check_in_window_edges(booking, world, offset, expected):
    assert services.scan(world.staff, services.token_for(booking), now=w.SLOT + offset)[0] == expected


def test_pending_is_not_approved_and_cancelled_is_cancelled(world):
    r = bookings.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    token = services.token_for(r)
    assert services.scan(world.staff, token, now=AT_START)[0] == "not_approved"
    bookings.cancel(world.worker, r.id, now=w.NOW)
    assert services.scan(world.staff, token, now=AT_START)[0] == "cancelled"
    assert db.session.get(Reservation, r.id).status == "cancelled"


def test_other_hosts_staff_get_wrong_host(booking, world):
    result, r = services.scan(world.other_staff, services.token_for(booking), now=AT_START)
    assert (result, r) == ("wrong_host", None)
    assert services.scan(world.other_staff, booking.code, now=AT_START)[0] == "wrong_host"
    assert db.session.get(Reservation, booking.id).status == "confirmed"


def flip(token: str, index: int) -> str:
    c = token[index]
    return token[:index] + ("B" if c != "B" else "C") + token[index + 1 :]


def test_tampered_forged_and_garbage_codes_are_invalid(booking, world):
    token = services.token_for(booking)
    claims = tokens.peek(token)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = tokens.sign(Ed25519PrivateKey.generate(), claims.kid, booking.id, claims.valid_from, claims.valid_until)
    other = bookings.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    # a real signature, with another reservation's id swapped into the body
    raw_claims_changed = tokens.sign(
        Ed25519PrivateKey.generate(), claims.kid, other.id, claims.valid_from, claims.valid_until
    )
    for code in [
        flip(token, 10),
        flip(token, 25),
        flip(token, 100),
        token[:-1],
        token + "A",
        forged,
        raw_claims_changed,
        "SV1" + "A" * 127,
        "hello",
        "",
        "SV2" + token[3:],
        "ZZZZZZZZ",
    ]:
        assert services.scan(world.staff, code, now=AT_START)[0] == "invalid", code
    assert db.session.get(Reservation, booking.id).status == "confirmed"
    assert services.scan(world.staff, token, now=AT_START)[0] == "ok"


def test_expired_code_is_too_late_and_no_show_too(booking, world):
    token = services.token_for(booking)
    assert services.scan(world.staff, token, now=w.SLOT + timedelta(hours=3))[0] == "too_late"
    bookings.release_no_shows(now=w.SLOT + timedelta(hours=3))
    assert services.scan(world.staff, token, now=w.SLOT + timedelta(minutes=5))[0] == "too_late"


def test_manual_short_code(booking, world):
    result, r = services.scan(world.staff, booking.code.lower(), now=AT_START)
    assert result == "ok" and r.id == booking.id


def test_retry_with_same_nonce_is_one_scan(booking, world):
    token = services.token_for(booking)
    first = services.scan(world.staff, token, nonce="n-1", now=AT_START)
    again = services.scan(world.staff, token, nonce="n-1", now=AT_START + timedelta(seconds=5))
    assert first[0] == again[0] == "ok"
    assert events() == 1
    assert services.scan(world.staff, token, nonce="n-2", now=AT_START)[0] == "already_checked_in"


def test_workers_cannot_scan(booking, world):
    with pytest.raises(Forbidden):
        services.scan(world.worker, services.token_for(booking), now=AT_START)


def test_rotated_key_still_verifies_old_codes(booking, world):
    old = services.token_for(booking)
    new_kid = services.rotate_key(world.host.id)
    new = services.token_for(booking)
    assert new != old and tokens.peek(new).kid == new_kid
    assert services.scan(world.staff, old, now=AT_START)[0] == "ok"


def test_the_rotate_qr_key_command_signs_new_codes_with_a_new_key(booking, world):
    old = services.token_for(booking)
    runner = world_app().test_cli_runner()
    result = runner.invoke(args=["rotate-qr-key", str(world.host.id)])
    assert result.exit_code == 0, result.output
    db.session.rollback()  # end this test's read: the command committed in its own session
    new = services.token_for(booking)
    assert tokens.peek(new).kid != tokens.peek(old).kid
    assert f"new QR signing key {tokens.peek(new).kid}" in result.output
    assert services.scan(world.staff, old, now=AT_START)[0] == "ok"
    assert services.scan(world.staff, new, now=AT_START)[0] == "already_checked_in"


def test_the_rotate_qr_key_command_refuses_an_unknown_host(booking, world):
    services.token_for(booking)
    before = keys.published([world.host.id])
    result = world_app().test_cli_runner().invoke(args=["rotate-qr-key", "999999"])
    assert result.exit_code == 1 and "no organization with id 999999" in result.output
    db.session.rollback()
    assert keys.published([world.host.id]) == before and len(before) == 1


def world_app():
    from flask import current_app

    return current_app._get_current_object()


def test_each_host_signs_with_its_own_key(world):
    f.agreement(world.other_host, world.ent)
    a = bookings.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    b = bookings.book(world.worker2, world.other_court.id, w.SLOT, now=w.NOW)
    assert tokens.peek(services.token_for(a)).kid != tokens.peek(services.token_for(b)).kid


def test_every_scan_is_logged_with_who_and_result(booking, world):
    services.scan(world.staff, "garbage", device="门口手机", now=AT_START)
    e = db.session.scalar(select(CheckinEvent))
    assert (e.staff_id, e.result, e.device, e.reservation_id) == (world.staff.id, "invalid", "门口手机", None)
