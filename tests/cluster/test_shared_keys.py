"""QR signing keys from one shared secret (QR_KEY_SECRET): no server keeps a key of its own.

Two apps with different key folders and the same secret sign a booking's code identically,
write nothing to their folders, and a key a single server made before (a file) keeps signing.
"""

import pytest

from booking import create_app
from booking.checkin import keys, services
from booking.extensions import db
from booking.reservations import services as bookings
from tests import world as w
from tests.conftest import make_config


def code_of(url, reservation_id, **config):
    app = create_app(make_config(url, **config))
    with app.app_context():
        try:
            from booking.reservations.models import Reservation

            return services.token_for(db.session.get(Reservation, reservation_id))
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def booked(ctx):
    world = w.build()
    r = bookings.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    bookings.decide(world.staff, r.id, approve=True, now=w.NOW)
    db.session.remove()
    return r.id


@pytest.mark.parametrize("backend", ["sqlite"])  # key handling, not the database
def test_two_servers_sign_alike_from_the_shared_secret(db_url, booked, tmp_path, monkeypatch):
    monkeypatch.delenv("QR_PRIVATE_KEYS", raising=False)
    monkeypatch.delenv("QR_KEY_SECRET", raising=False)
    keys._public_cache.clear()
    one = code_of(db_url, booked, QR_KEY_DIR=str(tmp_path / "one"), QR_KEY_SECRET="shared")
    two = code_of(db_url, booked, QR_KEY_DIR=str(tmp_path / "two"), QR_KEY_SECRET="shared")
    assert one == two
    assert not (tmp_path / "one").exists() and not (tmp_path / "two").exists()
    # Without the shared secret, a server with an empty folder cannot use that key: it makes its own.
    alone = code_of(db_url, booked, QR_KEY_DIR=str(tmp_path / "three"))
    assert alone != one and any((tmp_path / "three").iterdir())


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_key_made_before_the_secret_keeps_signing(db_url, booked, tmp_path, monkeypatch):
    monkeypatch.delenv("QR_PRIVATE_KEYS", raising=False)
    monkeypatch.delenv("QR_KEY_SECRET", raising=False)
    folder = str(tmp_path / "single")
    before = code_of(db_url, booked, QR_KEY_DIR=folder)
    assert code_of(db_url, booked, QR_KEY_DIR=folder, QR_KEY_SECRET="shared") == before
