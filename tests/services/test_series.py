"""A weekly team series as one thing: linked bookings, listed, paused for some weeks, cancelled
(SQLite and PostgreSQL). Pause and cancel give back place and quota the way a cancel does; a
booking past its cancel cutoff stays, and is reported."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from booking.errors import Conflict, Forbidden, Invalid, NotFound
from booking.extensions import db
from booking.quotas.models import EnterpriseWeekUsage
from booking.reservations import services
from booking.reservations.models import Reservation, ReservationSeries, SlotLoad
from tests import factories as f
from tests import world as w


@pytest.fixture
def world(ctx):
    world = w.build()
    # A hall bookable 60 days ahead, cancellable up to 2 hours before: a series books all its weeks.
    world.hall = f.facility(
        world.court.venue, "多功能厅", kind="gym", capacity=3, window_days=60, cancel_cutoff_minutes=120
    )
    return world


def held(facility, start) -> int:
    return (
        db.session.scalar(select(SlotLoad.held).where(SlotLoad.facility_id == facility.id, SlotLoad.start_at == start))
        or 0
    )


def used(world, start) -> int:
    from booking import timeutil

    week = timeutil.week_start(timeutil.local_date(start, w.TZ))
    return (
        db.session.scalar(
            select(EnterpriseWeekUsage.minutes_used).where(
                EnterpriseWeekUsage.enterprise_id == world.ent.id, EnterpriseWeekUsage.week_start == week
            )
        )
        or 0
    )


def weeks(n):
    return [w.SLOT + timedelta(weeks=i) for i in range(n)]


def test_a_series_is_one_row_with_its_bookings(world):
    booked = services.book_series(world.admin, world.hall.id, w.SLOT, weeks=4, party_size=2, now=w.NOW)
    assert [o["ok"] for o in booked.results] == [True] * 4 and booked.timezone == w.TZ
    rows = db.session.scalars(select(Reservation).order_by(Reservation.start_at)).all()
    assert [(r.series_id, r.start_at, r.party_size) for r in rows] == [(booked.series.id, s, 2) for s in weeks(4)]
    listed = services.list_series(world.admin)
    assert [(s.id, s.weeks, s.status, s.enterprise_id) for s in listed] == [
        (booked.series.id, 4, "active", world.ent.id)
    ]
    assert [r.id for r in listed[0].occurrences] == [r.id for r in rows]


def test_refused_weeks_still_make_a_series_and_bad_input_makes_none(world):
    services.book(world.worker, world.court.id, w.SLOT + timedelta(weeks=1), now=w.local(2026, 11, 25, 9))
    booked = services.book_series(world.admin, world.court.id, w.SLOT, weeks=2, now=w.local(2026, 11, 25, 9))
    assert [(o["ok"], o["code"]) for o in booked.results] == [(True, None), (False, "slot_full")]
    for bad in ({"weeks": 0}, {"weeks": 27}, {"party_size": 0}, {"party_size": 2**63}):
        with pytest.raises(Invalid):
            services.book_series(world.admin, world.hall.id, w.SLOT, **{"weeks": 2, **bad}, now=w.NOW)
    assert db.session.scalar(select(db.func.count(ReservationSeries.id))) == 1


def test_only_the_enterprises_admins_see_and_change_it(world):
    other_admin = f.user("otheradmin", world.other_ent, roles=[("enterprise_admin", world.other_ent)])
    series = services.book_series(world.admin, world.hall.id, w.SLOT, weeks=2, now=w.NOW).series
    assert services.list_series(other_admin) == []
    for call in (
        lambda u: services.get_series(u, series.id),
        lambda u: services.cancel_series(u, series.id, now=w.NOW),
        lambda u: services.pause_series(u, series.id, date(2026, 12, 1), date(2026, 12, 5), now=w.NOW),
    ):
        with pytest.raises(NotFound):
            call(other_admin)
        with pytest.raises(Forbidden):
            call(world.worker)
    with pytest.raises(NotFound):
        services.cancel_series(world.admin, 999999, now=w.NOW)
    with pytest.raises(Forbidden):
        services.list_series(world.staff)
    assert [r.status for r in services.get_series(world.admin, series.id).occurrences] == ["confirmed"] * 2


def test_pause_cancels_the_weeks_in_range_gives_back_and_skips_them(world):
    series = services.book_series(world.admin, world.hall.id, w.SLOT, weeks=4, party_size=2, now=w.NOW).series
    starts = weeks(4)
    assert [held(world.hall, s) for s in starts] == [2] * 4 and used(world, starts[1]) == 60
    # Weeks 2 and 3: 2026-12-02 and 2026-12-09 (Wednesdays), venue-local dates.
    change = services.pause_series(world.admin, series.id, date(2026, 12, 2), date(2026, 12, 9), now=w.NOW)
    assert [r.start_at for r in change.cancelled] == starts[1:3] and change.kept == []
    assert [held(world.hall, s) for s in starts] == [2, 0, 0, 2]
    assert [used(world, s) for s in starts] == [60, 0, 0, 60]
    again = services.get_series(world.admin, series.id)
    assert [(r.status, services.series_skipped(again, r)) for r in again.occurrences] == [
        ("confirmed", False),
        ("cancelled", True),
        ("cancelled", True),
        ("confirmed", False),
    ]
    assert [(p.first_day, p.last_day) for p in again.pauses] == [(date(2026, 12, 2), date(2026, 12, 9))]
    assert again.status == "active"
    # The freed places can be booked again by anyone.
    services.book(world.worker, world.hall.id, starts[1], party_size=3, now=w.NOW)


def test_pause_keeps_a_week_past_its_cutoff_and_says_why(world):
    series = services.book_series(world.admin, world.hall.id, w.SLOT, weeks=2, now=w.NOW).series
    late = w.SLOT - timedelta(minutes=119)  # inside the 2-hour cutoff of the first week
    change = services.pause_series(world.admin, series.id, date(2026, 11, 25), date(2026, 12, 2), now=late)
    assert [r.start_at for r in change.cancelled] == [w.SLOT + timedelta(weeks=1)]
    assert [(r.start_at, code) for r, code, _ in change.kept] == [(w.SLOT, "too_late_to_cancel")]
    assert held(world.hall, w.SLOT) == 1


def test_a_backwards_range_is_refused_and_changes_nothing(world):
    series = services.book_series(world.admin, world.hall.id, w.SLOT, weeks=2, now=w.NOW).series
    with pytest.raises(Invalid) as err:
        services.pause_series(world.admin, series.id, date(2026, 12, 9), date(2026, 12, 2), now=w.NOW)
    assert err.value.code == "invalid_range"
    assert [r.status for r in services.get_series(world.admin, series.id).occurrences] == ["confirmed"] * 2


def test_cancel_cancels_the_future_weeks_and_leaves_the_past(world):
    series = services.book_series(world.admin, world.hall.id, w.SLOT, weeks=3, now=w.NOW).series
    after_first = w.SLOT + timedelta(hours=2)  # the first week is over
    change = services.cancel_series(world.admin, series.id, now=after_first)
    assert [r.start_at for r in change.cancelled] == weeks(3)[1:] and change.kept == []
    again = services.get_series(world.admin, series.id)
    assert again.status == "cancelled" and again.cancelled_by_id == world.admin.id
    assert [r.status for r in again.occurrences] == ["confirmed", "cancelled", "cancelled"]
    assert [held(world.hall, s) for s in weeks(3)] == [1, 0, 0]
    for call in (
        lambda: services.cancel_series(world.admin, series.id, now=after_first),
        lambda: services.pause_series(world.admin, series.id, date(2026, 12, 1), date(2026, 12, 30), now=after_first),
    ):
        with pytest.raises(Conflict) as err:
            call()
        assert err.value.code == "series_cancelled"


def test_cancel_keeps_a_week_past_its_cutoff(world):
    series = services.book_series(world.admin, world.hall.id, w.SLOT, weeks=2, now=w.NOW).series
    change = services.cancel_series(world.admin, series.id, now=w.SLOT - timedelta(minutes=30))
    assert [(r.start_at, code) for r, code, _ in change.kept] == [(w.SLOT, "too_late_to_cancel")]
    assert [r.start_at for r in change.cancelled] == [w.SLOT + timedelta(weeks=1)]
    assert services.get_series(world.admin, series.id).status == "cancelled"
