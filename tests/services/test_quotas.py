"""Enterprise weekly hours, the per-worker cap, week boundaries, no-shows and suspensions."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from booking import integrity
from booking.errors import Conflict, Forbidden
from booking.extensions import db
from booking.quotas import services as quotas
from booking.quotas.models import EnterpriseWeekUsage
from booking.reports.quota_usage import enterprise_report
from booking.reservations import services
from booking.reservations.models import Reservation
from tests import factories as f
from tests import world as w


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False, hours=3, per_worker=2)


def used(world, week=date(2026, 11, 23)):
    return (
        db.session.scalar(
            select(EnterpriseWeekUsage.minutes_used).where(
                EnterpriseWeekUsage.enterprise_id == world.ent.id, EnterpriseWeekUsage.week_start == week
            )
        )
        or 0
    )


def test_enterprise_hours_are_a_hard_limit(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    services.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    services.book(world.admin, world.court.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    with pytest.raises(Conflict) as err:
        services.book(world.worker, world.gym.id, w.SLOT - timedelta(hours=1), now=w.NOW)
    assert err.value.code == "quota_exceeded" and err.value.details["minutes_left"] == 0
    assert used(world) == 180
    assert integrity.check() == []


def test_worker_cap(world):
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    with pytest.raises(Conflict) as err:
        services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    assert err.value.code == "worker_limit"
    assert "2" in err.value.message


def test_cancellation_gives_quota_back(world):
    r = services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    assert used(world) == 60
    services.cancel(world.worker, r.id, now=w.NOW)
    assert used(world) == 0
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=1), now=w.NOW)  # cap restored too
    assert integrity.check() == []


def test_rejection_and_host_cancel_give_quota_back(ctx):
    world = w.build(court_approval=True, hours=3)
    a = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    b = services.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    services.decide(world.staff, a.id, approve=False, now=w.NOW)
    services.host_cancel(world.staff, b.id, "维修", now=w.NOW)
    assert used(world) == 0 and integrity.check() == []


def test_sunday_night_counts_in_its_own_iso_week(ctx):
    host, ent = f.org("H"), f.org("E")
    late = f.facility(f.venue(host), "Late court", opens=0, closes=24 * 60)
    f.agreement(host, ent, hours=1)
    worker = f.user("nightowl", ent)
    sunday_23 = w.local(2026, 11, 29, 23)
    monday_00 = w.local(2026, 11, 30, 0)
    r1 = services.book(worker, late.id, sunday_23, now=w.NOW)
    r2 = services.book(worker, late.id, monday_00, now=w.NOW)  # a new week: the hour is there again
    assert (r1.week_start, r2.week_start) == (date(2026, 11, 23), date(2026, 11, 30))
    with pytest.raises(Conflict) as err:
        services.book(worker, late.id, w.local(2026, 11, 29, 22), now=w.NOW)
    assert err.value.code == "quota_exceeded"


def test_agreement_changed_mid_week_applies_from_then_on(world):
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    services.book(world.worker2, world.gym.id, w.SLOT, now=w.NOW)
    world.agreement.minutes_per_week = 60  # lowered below what is already used
    db.session.commit()
    with pytest.raises(Conflict):
        services.book(world.admin, world.gym.id, w.SLOT, now=w.NOW)
    assert used(world) == 120  # what was booked stays booked and counted
    world.agreement.minutes_per_week = 4 * 60
    db.session.commit()
    services.book(world.admin, world.gym.id, w.SLOT, now=w.NOW)
    assert used(world) == 180 and integrity.check() == []


def test_ended_agreement_closes_booking(world):
    world.agreement.valid_until = date(2026, 11, 24)
    db.session.commit()
    from booking.errors import NotFound

    with pytest.raises(NotFound):
        services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)  # Wednesday: no longer shared


def test_group_agreement_covers_every_enterprise_of_the_union(ctx):
    host = f.org("Centre", kind="community_centre")
    community = f.org("Community", kind="community_union")
    joint = f.org("Joint", kind="joint_union", parent=community)
    a, b = f.org("A", parent=joint), f.org("B", parent=community)
    outsider = f.org("C")
    gym = f.facility(f.venue(host), "Gym", kind="gym", capacity=30)
    f.agreement(host, group=community, hours=10)
    for ent, name in ((a, "wa"), (b, "wb")):
        assert services.book(f.user(name + "xx", ent), gym.id, w.SLOT, now=w.NOW)
    from booking.errors import NotFound

    with pytest.raises(NotFound):
        services.book(f.user("wcxx", outsider), gym.id, w.SLOT, now=w.NOW)


def test_no_shows_suspend_then_booking_is_refused(ctx):
    world = w.build(court_approval=False)
    from booking.quotas.models import NoShowPolicy

    db.session.add(NoShowPolicy(host_id=world.host.id, no_show_limit=3, within_days=30, suspend_days=14))
    db.session.commit()
    for i in range(3):
        services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=i), now=w.NOW)
    after = w.SLOT + timedelta(hours=4)
    done = services.release_no_shows(now=after)
    assert done == {"no_show": 3, "expired": 0}
    assert services.release_no_shows(now=after) == {"no_show": 0, "expired": 0}  # idempotent
    s = quotas.active_suspension(world.worker.id, world.host.id, after)
    assert s.ends_at == after + timedelta(days=14)
    with pytest.raises(Conflict) as err:
        services.book(world.worker, world.gym.id, w.local(2026, 11, 26, 19), now=after)
    assert err.value.code == "suspended"
    # another host is not affected; after the suspension the worker books again
    assert quotas.active_suspension(world.worker.id, world.other_host.id, after) is None
    later = after + timedelta(days=14, minutes=1)
    assert services.book(world.worker, world.gym.id, w.local(2026, 12, 10, 19), now=later)
    assert integrity.check() == []


def test_no_show_keeps_quota_but_frees_the_place(world):
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    services.release_no_shows(now=w.SLOT + timedelta(minutes=16))
    assert db.session.get(Reservation, r.id).status == "no_show"
    assert used(world) == 60
    assert integrity.check() == []


def test_check_in_window_not_over_means_no_release(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert services.release_no_shows(now=w.SLOT + timedelta(minutes=15)) == {"no_show": 0, "expired": 0}


def test_pending_never_approved_expires_and_refunds(ctx):
    world = w.build(court_approval=True, hours=3)
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert services.release_no_shows(now=w.SLOT + timedelta(hours=1)) == {"no_show": 0, "expired": 1}
    assert used(world) == 0 and integrity.check() == []


def test_my_quota(world):
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    q = quotas.my_quota(world.worker, date(2026, 11, 25), w.NOW)
    assert q["week"] == "2026-W48"
    (host,) = [h for h in q["hosts"] if h["host"].id == world.host.id]
    assert (host["minutes_limit"], host["minutes_used"], host["bookings_per_worker"], host["my_bookings"]) == (
        180,
        60,
        2,
        1,
    )
    with pytest.raises(Forbidden):
        quotas.my_quota(world.staff, date(2026, 11, 25), w.NOW)


def test_reports_are_scoped(world):
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    week = date(2026, 11, 23)
    (mine,) = enterprise_report(world.admin, week)
    host = next(h for h in mine["hosts"] if h["host"].id == world.host.id)
    assert host["minutes_used"] == 60 and host["workers"][0]["bookings"] == 1
    with pytest.raises(Forbidden):
        enterprise_report(world.worker, week)
    with pytest.raises(Forbidden):
        quotas.host_report(world.staff, week)  # staff, not admin
    assert quotas.host_report(world.other_staff, week) == []


def test_reading_availability_shows_a_no_show_place_free_without_cron(world):
    from booking.reservations.availability import availability

    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    during = w.SLOT + timedelta(minutes=20)  # check-in closed at +15 min; the slot runs to +60
    _, slots = availability(world.worker2, world.court.id, w.SLOT.date(), during)
    slot = next(s for s in slots if s["start"] == w.SLOT)
    assert slot["remaining"] == 1
    # A read writes nothing: marking the no-show (and its policy) is release-no-shows' job.
    assert db.session.scalar(select(Reservation.status)) == "confirmed"
    assert services.release_no_shows(now=during) == {"no_show": 1, "expired": 0}
    _, slots = availability(world.worker2, world.court.id, w.SLOT.date(), during)
    assert next(s for s in slots if s["start"] == w.SLOT)["remaining"] == 1
    assert integrity.check() == []


def test_reading_availability_inside_the_check_in_window_changes_nothing(world):
    from booking.reservations.availability import availability

    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    _, slots = availability(world.worker2, world.court.id, w.SLOT.date(), w.SLOT + timedelta(minutes=10))
    assert next(s for s in slots if s["start"] == w.SLOT)["remaining"] == 0
    assert db.session.scalar(select(Reservation.status)) == "confirmed"


def test_integrity_check_reports_a_counter_that_disagrees(world):
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    assert integrity.check() == []
    db.session.execute(EnterpriseWeekUsage.__table__.update().values(minutes_used=999))
    db.session.commit()
    problems = integrity.check()
    assert len(problems) == 1 and problems[0].startswith("enterprise week") and "999" in problems[0]
