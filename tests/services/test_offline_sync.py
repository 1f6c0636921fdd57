"""Offline scans synced later: recorded as offline with both times, refused when older than the
host allows or than the scanner's last online contact, a conflict (not a flip) on a no-show."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from booking.checkin import services
from booking.checkin.models import CheckinEvent
from booking.errors import Forbidden, Invalid
from booking.extensions import db
from booking.reports import services as reports
from booking.reservations import services as bookings
from booking.reservations.models import Reservation
from tests import factories as f
from tests import world as w

LET_IN = w.SLOT + timedelta(minutes=5)  # inside the check-in window (start ± 15 min)


@pytest.fixture
def world(ctx):
    return w.build(court_approval=True)


@pytest.fixture
def booking(world):
    r = bookings.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    bookings.decide(world.staff, r.id, approve=True, now=w.NOW)
    return r


def events() -> list[CheckinEvent]:
    return list(db.session.scalars(select(CheckinEvent).order_by(CheckinEvent.id)))


def status(r) -> str:
    db.session.expire_all()
    return db.session.get(Reservation, r.id).status


def sync(world, r, offline_at, now, device="phone-1", nonce=None):
    return services.scan(world.staff, r.code, nonce, device, now=now, offline_at=offline_at)


def test_an_offline_scan_is_recorded_as_such_with_both_times(world, booking):
    received = LET_IN + timedelta(minutes=50)
    result, r = sync(world, booking, LET_IN, received)
    assert result == "ok" and status(booking) == "checked_in"
    assert db.session.get(Reservation, booking.id).checked_in_at == LET_IN
    [event] = events()
    assert (event.result, event.scanned_at, event.scanned_offline_at, event.received_at) == (
        "ok",
        LET_IN,
        LET_IN,
        received,
    )


def test_an_online_scan_has_no_offline_times(world, booking):
    services.scan(world.staff, booking.code, now=LET_IN)
    [event] = events()
    assert (event.result, event.scanned_offline_at, event.received_at) == ("ok", None, None)


def test_a_claim_older_than_two_hours_is_refused_and_changes_nothing(world, booking):
    with pytest.raises(Invalid) as err:
        sync(world, booking, LET_IN, LET_IN + timedelta(hours=2, minutes=1))
    assert err.value.code == "invalid_time" and err.value.status == 422
    assert status(booking) == "confirmed" and events() == []
    assert sync(world, booking, LET_IN, LET_IN + timedelta(hours=1, minutes=59))[0] == "ok"


def test_only_the_hosts_admin_sets_it_within_bounds(world):
    admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    with pytest.raises(Forbidden):
        services.set_offline_max_age(world.staff, world.host.id, 30)
    for bad in (4, 1441, "30", True, None):
        with pytest.raises(Invalid):
            services.set_offline_max_age(admin, world.host.id, bad)
    assert services.set_offline_max_age(admin, world.host.id, 45) == 45
    assert services.offline_max_age(world.host.id) == timedelta(minutes=45)
    assert services.offline_max_age(world.other_host.id) == timedelta(hours=2)


def test_the_host_sets_how_old_a_claim_may_be(world, booking):
    admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    services.set_offline_max_age(admin, world.host.id, 30)
    with pytest.raises(Invalid):
        sync(world, booking, LET_IN, LET_IN + timedelta(minutes=31))
    assert status(booking) == "confirmed"
    assert sync(world, booking, LET_IN, LET_IN + timedelta(minutes=29))[0] == "ok"


def test_a_claim_older_than_the_scanners_last_online_contact_is_refused(world, booking):
    services.record_contact(world.staff, "phone-1", now=LET_IN + timedelta(minutes=1))
    with pytest.raises(Invalid) as err:
        sync(world, booking, LET_IN, LET_IN + timedelta(minutes=20), device="phone-1")
    assert err.value.code == "invalid_time"
    assert status(booking) == "confirmed" and events() == []
    # Another phone of the same staff member was offline then: its claim stands.
    assert sync(world, booking, LET_IN, LET_IN + timedelta(minutes=20), device="phone-2")[0] == "ok"


def test_a_later_contact_never_moves_the_mark_back(world, booking):
    services.record_contact(world.staff, "phone-1", now=LET_IN + timedelta(minutes=10))
    services.record_contact(world.staff, "phone-1", now=LET_IN - timedelta(minutes=10))
    with pytest.raises(Invalid):
        sync(world, booking, LET_IN, LET_IN + timedelta(minutes=20), device="phone-1")


def test_a_claim_on_a_booking_marked_no_show_is_a_conflict_not_a_flip(world, booking):
    bookings.release_no_shows(now=w.SLOT + timedelta(minutes=20))
    assert status(booking) == "no_show"
    result, r = sync(world, booking, LET_IN, w.SLOT + timedelta(minutes=40))
    assert result == "no_show_conflict" and r.id == booking.id
    assert status(booking) == "no_show"
    [event] = events()
    assert (event.result, event.scanned_offline_at) == ("no_show_conflict", LET_IN)
    # Outside the window it is just too late, as online.
    too_late = sync(world, booking, w.SLOT + timedelta(minutes=30), w.SLOT + timedelta(minutes=40), device="phone-2")
    assert too_late[0] == "too_late"


def test_a_future_claim_is_dated_when_it_arrived(world, booking):
    received = LET_IN
    assert sync(world, booking, LET_IN + timedelta(hours=5), received)[0] == "ok"
    assert db.session.get(Reservation, booking.id).checked_in_at == received


def test_the_host_report_counts_offline_check_ins_and_conflicts(world, booking):
    other = bookings.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    bookings.decide(world.staff, other.id, approve=True, now=w.NOW)
    third = bookings.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    assert sync(world, booking, LET_IN, LET_IN + timedelta(minutes=30))[0] == "ok"
    services.scan(world.staff, other.code, now=w.SLOT + timedelta(hours=1, minutes=1))  # online
    bookings.release_no_shows(now=w.SLOT + timedelta(hours=2, minutes=20))
    assert (
        sync(
            world,
            third,
            w.SLOT + timedelta(hours=2, minutes=1),
            w.SLOT + timedelta(hours=2, minutes=30),
            device="phone-2",
        )[0]
        == "no_show_conflict"
    )
    admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    day = date(2026, 11, 25)
    report = reports.host_report(admin, world.host.id, reports.Period(day, day, w.TZ))
    assert (report.checked_in, report.offline_checkins, report.offline_conflicts) == (2, 1, 1)
    assert db.session.scalar(select(func.count(CheckinEvent.id))) == 3
