"""Blackouts: create, list, delete, and cancel the bookings they hit (SQLite and PostgreSQL)."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.errors import Conflict, Forbidden, Invalid, NotFound
from booking.extensions import db
from booking.facilities.models import Blackout
from booking.reservations import blackouts, services
from booking.reservations.models import Notification, Reservation, SlotLoad
from tests import world as w


@pytest.fixture
def world(ctx):
    return w.build()


def count(model):
    return db.session.scalar(select(func.count(model.id)))


def held(facility, start):
    return (
        db.session.scalar(select(SlotLoad.held).where(SlotLoad.facility_id == facility.id, SlotLoad.start_at == start))
        or 0
    )


def test_creation_returns_overlapping_holding_bookings_and_cancels_none(world):
    pending = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    confirmed = services.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    services.decide(world.staff, confirmed.id, True, now=w.NOW)
    rejected = services.book(world.admin, world.court.id, w.SLOT - timedelta(hours=1), now=w.NOW)
    services.decide(world.staff, rejected.id, False, "满", now=w.NOW)
    after = services.book(world.admin, world.court.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    gym = services.book(world.admin, world.gym.id, w.SLOT - timedelta(hours=2), now=w.NOW)

    blackout, hit = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT - timedelta(hours=1), w.SLOT + timedelta(hours=2), " 地板维修 ", now=w.NOW
    )
    assert [r.id for r in hit] == [pending.id, confirmed.id]
    assert (blackout.starts_at, blackout.ends_at, blackout.reason) == (
        w.SLOT - timedelta(hours=1),
        w.SLOT + timedelta(hours=2),
        "地板维修",
    )
    assert blackout.created_by_id == world.staff.id
    statuses = {r.id: r.status for r in db.session.scalars(select(Reservation))}
    assert statuses == {
        pending.id: "pending",
        confirmed.id: "confirmed",
        rejected.id: "rejected",
        after.id: "pending",
        gym.id: "confirmed",
    }
    assert count(Notification) == 2  # the approval and the rejection only
    # what the blackout page shows afterwards is the same list
    facility, again, listed = blackouts.affected(world.staff, blackout.id)
    assert (facility.id, again.id, [r.id for r in listed]) == (world.court.id, blackout.id, [pending.id, confirmed.id])


def test_naive_times_are_venue_local(world):
    blackout, _ = blackouts.create_blackout(
        world.staff, world.court.id, datetime(2026, 11, 25, 18, 30), datetime(2026, 11, 25, 21), "赛事", now=w.NOW
    )
    assert blackout.starts_at == w.local(2026, 11, 25, 18, 30)
    assert blackout.ends_at == w.local(2026, 11, 25, 21)


def test_the_blacked_out_slot_can_no_longer_be_booked(world):
    blackouts.create_blackout(world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW)
    with pytest.raises(Conflict) as err:
        services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert err.value.code == "closed"


def test_cancel_affected_cancels_each_with_a_notice_and_frees_places_and_quota(world):
    a = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    b = services.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    services.decide(world.staff, b.id, True, now=w.NOW)
    blackout, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=2), "地板维修", now=w.NOW
    )
    results = blackouts.cancel_affected(world.staff, blackout.id, now=w.NOW)
    assert results == {a.id: None, b.id: None}
    for rid in (a.id, b.id):
        r = db.session.get(Reservation, rid)
        assert (r.status, r.reason, r.cancelled_by_id) == ("cancelled", "地板维修", world.staff.id)
    notes = list(db.session.scalars(select(Notification).where(Notification.kind == "cancelled_by_host")))
    assert sorted((n.user_id, n.reason) for n in notes) == sorted(
        [(world.worker.id, "地板维修"), (world.worker2.id, "地板维修")]
    )
    assert held(world.court, w.SLOT) == 0 and held(world.court, w.SLOT + timedelta(hours=1)) == 0
    assert blackouts.affected(world.staff, blackout.id)[2] == []
    # a second run has nothing left to do
    assert blackouts.cancel_affected(world.staff, blackout.id, "x", now=w.NOW) == {}


def test_cancel_affected_with_own_reason(world):
    a = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    blackout, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW
    )
    blackouts.cancel_affected(world.staff, blackout.id, "  屋顶漏水  ", now=w.NOW)
    assert db.session.get(Reservation, a.id).reason == "屋顶漏水"


@pytest.mark.parametrize(
    "start, end, reason, code",
    [
        (w.SLOT, w.SLOT, "维修", "invalid_period"),
        (w.SLOT, w.SLOT - timedelta(minutes=1), "维修", "invalid_period"),
        (w.SLOT, w.SLOT + timedelta(days=367), "维修", "invalid_period"),
        (w.NOW - timedelta(hours=3), w.NOW - timedelta(hours=1), "维修", "invalid_period"),
        (w.SLOT, w.SLOT + timedelta(hours=1), "", "reason_required"),
        (w.SLOT, w.SLOT + timedelta(hours=1), "   ", "reason_required"),
        (w.SLOT, w.SLOT + timedelta(hours=1), None, "reason_required"),
        (w.SLOT, w.SLOT + timedelta(hours=1), "x" * 256, "invalid_reason"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(world, start, end, reason, code):
    with pytest.raises(Invalid) as err:
        blackouts.create_blackout(world.staff, world.court.id, start, end, reason, now=w.NOW)
    assert err.value.code == code
    assert count(Blackout) == 0


def test_only_the_hosts_staff(world):
    with pytest.raises(NotFound):
        blackouts.create_blackout(
            world.other_staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW
        )
    with pytest.raises(NotFound):
        blackouts.create_blackout(world.staff, 9999, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW)
    assert count(Blackout) == 0
    blackout, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW
    )
    for call in (
        lambda: blackouts.affected(world.other_staff, blackout.id),
        lambda: blackouts.cancel_affected(world.other_staff, blackout.id, "x", now=w.NOW),
        lambda: blackouts.delete_blackout(world.other_staff, blackout.id),
        lambda: blackouts.upcoming(world.other_staff, world.court.id, now=w.NOW),
    ):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(Forbidden):
        blackouts.managed_facilities(world.worker)
    assert count(Blackout) == 1


def test_upcoming_lists_unfinished_blackouts_soonest_first_and_delete_reopens(world):
    later, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT + timedelta(days=1), w.SLOT + timedelta(days=1, hours=1), "比赛", now=w.NOW
    )
    sooner, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW
    )
    blackouts.create_blackout(world.staff, world.gym.id, w.SLOT, w.SLOT + timedelta(hours=1), "消毒", now=w.NOW)
    facility, rows = blackouts.upcoming(world.staff, world.court.id, now=w.NOW)
    assert facility.id == world.court.id and [b.id for b in rows] == [sooner.id, later.id]
    _, rows = blackouts.upcoming(world.staff, world.court.id, now=w.SLOT + timedelta(hours=1))
    assert [b.id for b in rows] == [later.id]

    assert blackouts.delete_blackout(world.staff, sooner.id).id == world.court.id
    assert services.book(world.worker, world.court.id, w.SLOT, now=w.NOW).status == "pending"
    with pytest.raises(NotFound):
        blackouts.delete_blackout(world.staff, sooner.id)


def test_managed_facilities_are_the_hosts_own(world):
    assert [f.id for f in blackouts.managed_facilities(world.staff)] == [world.court.id, world.gym.id]
    assert [f.id for f in blackouts.managed_facilities(world.other_staff)] == [world.other_court.id]


def test_weekly_blackout_repeats_at_the_same_local_time_and_lists_every_week(world):
    # Bookings on the 1st and 2nd Wednesday evenings (the 2nd is inside the window a week on).
    first = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    second = services.book(world.worker2, world.court.id, w.SLOT + timedelta(weeks=1), now=w.NOW + timedelta(days=7))
    blackout, hit = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "周三晚间培训", now=w.NOW, weeks=4
    )
    rows = blackouts.series_of(blackout)
    assert [b.starts_at for b in rows] == [w.SLOT + timedelta(weeks=i) for i in range(4)]
    assert all(b.ends_at - b.starts_at == timedelta(hours=1) and b.series == blackout.series for b in rows)
    assert [r.id for r in hit] == [first.id, second.id]
    assert [r.id for r in blackouts.affected(world.staff, rows[2].id)[2]] == [first.id, second.id]
    done = blackouts.cancel_affected(world.staff, blackout.id, now=w.NOW)
    assert done == {first.id: None, second.id: None}
    assert held(world.court, w.SLOT) == 0 and held(world.court, w.SLOT + timedelta(weeks=1)) == 0


@pytest.mark.parametrize("weeks", [0, 53, -1, "2", 1.5, None, True])
def test_bad_repeat_counts_change_nothing(world, weeks):
    before = count(Blackout)
    with pytest.raises(Invalid) as err:
        blackouts.create_blackout(
            world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "x", now=w.NOW, weeks=weeks
        )
    assert err.value.code == "invalid_weeks"
    assert count(Blackout) == before


# --- keep: the staff's other choice -------------------------------------------------------


def test_keep_affected_records_each_booking_in_the_audit_log_and_changes_nothing(world):
    from booking.audit.models import AuditEntry

    a = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    b = services.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    services.decide(world.staff, b.id, True, now=w.NOW)
    outside = services.book(world.admin, world.court.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    blackout, hit = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=2), "赛事", now=w.NOW, weeks=2
    )
    assert [r.id for r in hit] == [a.id, b.id]
    assert blackouts.kept_ids([a.id, b.id, outside.id]) == set()
    assert blackouts.over_booking(db.session.get(Reservation, a.id))[1] is False

    assert blackouts.keep_affected(world.staff, blackout.id, now=w.NOW) == [a.id, b.id]
    statuses = {r.id: r.status for r in db.session.scalars(select(Reservation))}
    assert statuses == {a.id: "pending", b.id: "confirmed", outside.id: "pending"}
    assert held(world.court, w.SLOT) == 1
    entries = list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == blackouts.KEEP_ACTION).order_by(AuditEntry.obj_id)
        )
    )
    assert [(e.obj_type, e.obj_id, e.actor_id, e.host_id) for e in entries] == [
        ("reservation", a.id, world.staff.id, world.court.venue.host_id),
        ("reservation", b.id, world.staff.id, world.court.venue.host_id),
    ]
    assert entries[0].after == {"status": "pending", "blackout_id": blackout.id, "reason": "赛事"}
    assert blackouts.kept_ids([a.id, b.id, outside.id]) == {a.id, b.id}
    assert count(Notification) == 1  # the approval only: keeping tells nobody by notice

    closure, kept = blackouts.over_booking(db.session.get(Reservation, b.id))
    assert (closure.id, closure.reason, kept) == (blackout.id, "赛事", True)
    assert blackouts.over_booking(db.session.get(Reservation, outside.id)) == (None, False)
    # kept, then cancelled after all: a cancelled booking is no longer "blacked out but kept"
    blackouts.cancel_affected(world.staff, blackout.id, now=w.NOW)
    assert blackouts.over_booking(db.session.get(Reservation, a.id)) == (None, False)


def test_keep_is_for_the_hosts_staff_only(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    blackout, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW
    )
    with pytest.raises(NotFound):
        blackouts.keep_affected(world.other_staff, blackout.id, now=w.NOW)
    with pytest.raises(NotFound):
        blackouts.keep_affected(world.staff, 99999, now=w.NOW)
    assert blackouts.kept_ids(r.id for r in db.session.scalars(select(Reservation))) == set()


def test_on_day_lists_each_facilitys_blackouts_touching_its_local_day(world):
    evening, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW
    )
    # from 23:00 the day before until 01:00: touches the day
    night, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.local(2026, 11, 24, 23), w.local(2026, 11, 25, 1), "夜间施工", now=w.NOW
    )
    blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT + timedelta(days=1), w.SLOT + timedelta(days=1, hours=1), "比赛", now=w.NOW
    )
    day = w.SLOT.astimezone(w.timeutil.zone(w.TZ)).date()
    out = blackouts.on_day([world.court, world.gym], day)
    assert {k: [b.id for b in v] for k, v in out.items()} == {world.court.id: [night.id, evening.id], world.gym.id: []}
    assert blackouts.on_day([], day) == {}


def test_cancelling_kept_bookings_after_all_gives_their_quota_back(world):
    """The cancel choice is the host-cancel use case: the worker's weekly quota comes back."""
    from booking.quotas.models import EnterpriseWeekUsage, WorkerWeekUsage

    a = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)

    def used():
        return (
            db.session.scalar(select(func.sum(EnterpriseWeekUsage.minutes_used))) or 0,
            db.session.scalar(
                select(func.sum(WorkerWeekUsage.bookings)).where(WorkerWeekUsage.user_id == world.worker.id)
            )
            or 0,
        )

    assert used() == (60, 1)
    blackout, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=1), "维修", now=w.NOW
    )
    blackouts.keep_affected(world.staff, blackout.id, now=w.NOW)
    assert used() == (60, 1)  # keeping changes nothing
    assert blackouts.cancel_affected(world.staff, blackout.id, now=w.NOW) == {a.id: None}
    assert used() == (0, 0)
    assert db.session.get(Reservation, a.id).status == "cancelled"
