"""Booking, cancelling, approving: the use cases on a real database (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.errors import Conflict, Forbidden, Invalid, NotFound
from booking.extensions import db
from booking.facilities.models import Blackout
from booking.reservations import services
from booking.reservations.models import Notification, Reservation, SlotLoad
from tests import world as w


@pytest.fixture
def world(ctx):
    return w.build()


def held(facility, start=w.SLOT):
    return (
        db.session.scalar(select(SlotLoad.held).where(SlotLoad.facility_id == facility.id, SlotLoad.start_at == start))
        or 0
    )


def test_court_booking_waits_for_approval_then_confirms(world):
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert (r.status, r.start_at, r.end_at - r.start_at) == ("pending", w.SLOT, timedelta(hours=1))
    assert held(world.court) == 1
    r = services.decide(world.staff, r.id, approve=True, now=w.NOW)
    assert r.status == "confirmed"
    note = db.session.scalar(select(Notification))
    assert (note.user_id, note.kind) == (world.worker.id, "approved")


def test_second_booking_of_a_court_slot_is_full(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    with pytest.raises(Conflict) as err:
        services.book(world.worker2, world.court.id, w.SLOT, now=w.NOW)
    assert err.value.code == "slot_full"
    assert held(world.court) == 1


def test_court_party_takes_one_place_gym_party_counts(world):
    services.book(world.worker, world.court.id, w.SLOT, party_size=4, now=w.NOW)
    assert held(world.court) == 1
    services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=1), party_size=3, now=w.NOW)
    services.book(world.worker2, world.gym.id, w.SLOT + timedelta(hours=1), party_size=2, now=w.NOW)
    assert held(world.gym, w.SLOT + timedelta(hours=1)) == 5
    with pytest.raises(Conflict) as err:
        services.book(world.admin, world.gym.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    assert err.value.code == "slot_full"


def test_no_overlapping_bookings_for_one_worker(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    with pytest.raises(Conflict) as err:
        services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    assert err.value.code == "overlap"
    assert held(world.gym) == 0


def test_window_edges(world):
    # Slots of Tue 2026-12-01 open at 08:00 on Tue 2026-11-24 (7 days ahead).
    far = w.local(2026, 12, 1, 19)
    with pytest.raises(Conflict) as err:
        services.book(
            world.worker,
            world.gym.id,
            far,
            now=w.local(
                2026,
                11,
                24,
                7,
                59,
            ),
        )
    assert err.value.code == "outside_window"
    assert services.book(world.worker, world.gym.id, far, now=w.local(2026, 11, 24, 8, 0)).status == "confirmed"
    # minimum notice: 30 minutes
    with pytest.raises(Conflict):
        services.book(world.worker2, world.gym.id, w.SLOT, now=w.SLOT - timedelta(minutes=29))
    assert services.book(world.worker2, world.gym.id, w.SLOT, now=w.SLOT - timedelta(minutes=30))


@pytest.mark.parametrize(
    "start, code",
    [
        (w.local(2026, 11, 25, 7), "closed"),  # before opening
        (w.local(2026, 11, 25, 22), "closed"),  # closing time is no slot
        (w.local(2026, 11, 25, 19, 30), "closed"),  # not on the slot grid
    ],
)
def test_no_slot_there(world, start, code):
    with pytest.raises(Conflict) as err:
        services.book(world.worker, world.court.id, start, now=w.NOW)
    assert err.value.code == code


def test_last_slot_before_closing_is_bookable(world):
    assert services.book(world.worker, world.court.id, w.local(2026, 11, 25, 21), now=w.NOW)


def test_blackout_closes_slots_it_touches_only(world):
    db.session.add(
        Blackout(facility_id=world.court.id, starts_at=w.SLOT, ends_at=w.SLOT + timedelta(minutes=30), reason="维修")
    )
    db.session.commit()
    with pytest.raises(Conflict) as err:
        services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert err.value.code == "closed"
    assert services.book(world.worker, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    assert services.book(world.worker2, world.court.id, w.SLOT - timedelta(hours=1), now=w.NOW)


def test_facility_not_shared_is_not_found(world):
    with pytest.raises(NotFound):
        services.book(world.worker, world.other_court.id, w.SLOT, now=w.NOW)
    with pytest.raises(NotFound):
        services.book(world.outsider, world.court.id, w.SLOT, now=w.NOW)
    with pytest.raises(NotFound):
        services.book(world.worker, 999999, w.SLOT, now=w.NOW)


def test_staff_without_enterprise_cannot_book(world):
    with pytest.raises(Forbidden):
        services.book(world.staff, world.court.id, w.SLOT, now=w.NOW)


@pytest.mark.parametrize("party", [0, -1, 6, "2", 2.0, None, True])
def test_bad_party_sizes(world, party):
    with pytest.raises(Invalid):
        services.book(world.worker, world.gym.id, w.SLOT, party_size=party, now=w.NOW)
    assert held(world.gym) == 0


def test_cancel_before_cutoff_frees_the_place(world):
    r = services.book(world.worker, world.gym.id, w.SLOT, party_size=2, now=w.NOW)
    services.cancel(world.worker, r.id, now=w.SLOT - timedelta(hours=2))
    assert db.session.get(Reservation, r.id).status == "cancelled"
    assert held(world.gym) == 0


def test_cancel_after_cutoff_is_refused(world):
    r = services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    with pytest.raises(Conflict) as err:
        services.cancel(world.worker, r.id, now=w.SLOT - timedelta(hours=2) + timedelta(seconds=1))
    assert err.value.code == "too_late_to_cancel"
    assert held(world.gym) == 1


def test_only_the_owner_cancels_and_only_once(world):
    r = services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    with pytest.raises(NotFound):
        services.cancel(world.worker2, r.id, now=w.NOW)
    services.cancel(world.worker, r.id, now=w.NOW)
    with pytest.raises(Conflict):
        services.cancel(world.worker, r.id, now=w.NOW)
    assert held(world.gym) == 0


def test_reject_frees_the_slot_and_tells_the_worker(world):
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    services.decide(world.staff, r.id, approve=False, reason="场地维修", now=w.NOW)
    assert held(world.court) == 0
    assert services.book(world.worker2, world.court.id, w.SLOT, now=w.NOW)
    note = services.notifications_for(world.worker)[0]
    assert (note.kind, note.reason) == ("rejected", "场地维修")
    assert services.unread_count(world.worker) == 1
    services.mark_notifications_read(world.worker)
    assert services.unread_count(world.worker) == 0


def test_other_hosts_staff_cannot_see_or_decide(world):
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    for call in (
        lambda: services.decide(world.other_staff, r.id, True, now=w.NOW),
        lambda: services.get_for(world.other_staff, r.id),
        lambda: services.host_cancel(world.other_staff, r.id, "x", now=w.NOW),
    ):
        with pytest.raises(NotFound):
            call()
    assert services.list_for(world.other_staff, scope="host") == []
    assert db.session.get(Reservation, r.id).status == "pending"


def test_worker_cannot_approve_own_booking(world):
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    with pytest.raises(Forbidden):
        services.decide(world.worker, r.id, True, now=w.NOW)


def test_host_cancel_needs_a_reason_and_notifies(world):
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    with pytest.raises(Invalid):
        services.host_cancel(world.staff, r.id, "  ", now=w.NOW)
    services.host_cancel(world.staff, r.id, "设备检修", now=w.NOW)
    assert held(world.court) == 0
    assert services.notifications_for(world.worker)[0].kind == "cancelled_by_host"


def test_bulk_decisions_report_each(world):
    a = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    b = services.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    services.decide(world.staff, b.id, True, now=w.NOW)
    out = services.decide_many(world.staff, [a.id, b.id, 999999], approve=True, now=w.NOW)
    assert out == {a.id: None, b.id: "not_pending", 999999: "not_found"}


def test_pending_queue_oldest_first_and_scoped(world):
    a = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    b = services.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    assert [r.id for r in services.pending_queue(world.staff)] == [a.id, b.id]
    assert services.pending_queue(world.other_staff) == []
    with pytest.raises(Forbidden):
        services.pending_queue(world.worker)


def test_series_books_what_it_can_and_says_why_not(world):
    # Someone already has the court on the second Wednesday.
    now = w.local(2026, 11, 25, 9)
    services.book(world.worker, world.court.id, w.SLOT + timedelta(weeks=1), now=now)
    out = services.book_series(world.admin, world.court.id, w.SLOT, weeks=3, now=now).results
    assert [(o["ok"], o["code"]) for o in out] == [(True, None), (False, "slot_full"), (False, "outside_window")]
    with pytest.raises(Forbidden):
        services.book_series(world.worker, world.court.id, w.SLOT, weeks=2, now=w.NOW)
    with pytest.raises(Invalid):
        services.book_series(world.admin, world.court.id, w.SLOT, weeks=0, now=w.NOW)


def test_day_schedule_lists_the_days_bookings(world):
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    schedule = dict((f.id, rows) for f, rows in services.day_schedule(world.staff, w.SLOT.date()))
    assert [x.id for x in schedule[world.court.id]] == [r.id]
    assert world.other_court.id not in schedule
