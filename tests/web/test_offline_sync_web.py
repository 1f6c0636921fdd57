"""The scanner page's sync of offline scans: exact statuses for backdated and stale claims."""

from datetime import timedelta

import pytest

from booking import timeutil
from booking.extensions import db
from booking.reservations.models import Reservation
from tests.web.test_scan_pages import booked, code_of, scan, scanner, world  # noqa: F401 (fixtures)


def iso(instant) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def test_a_claim_three_hours_old_is_refused_with_422(client, world, booked):  # noqa: F811
    token = scanner(client)
    r = scan(
        client,
        token,
        code=code_of(booked),
        nonce="off-old",
        device="phone-1",
        scanned_offline_at=iso(timeutil.utcnow() - timedelta(hours=3)),
    )
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_time"
    assert db.session.get(Reservation, booked).status == "confirmed"


def test_a_claim_older_than_the_last_list_fetch_of_that_phone_is_refused(client, world, booked):  # noqa: F811
    token = scanner(client)
    before = timeutil.utcnow() - timedelta(seconds=30)
    assert client.get("/scan/manifest?device=phone-1").status_code == 200
    r = scan(client, token, code=code_of(booked), nonce="off-1", device="phone-1", scanned_offline_at=iso(before))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_time"
    assert db.session.get(Reservation, booked).status == "confirmed"
    r = scan(client, token, code=code_of(booked), nonce="off-2", device="phone-2", scanned_offline_at=iso(before))
    assert r.status_code == 200 and r.get_json()["result"] == "ok"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00"])
def test_instants_out_of_range_or_without_a_zone_are_a_400(client, world, booked, value):  # noqa: F811
    token = scanner(client)
    r = scan(client, token, code=code_of(booked), scanned_offline_at=value)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
