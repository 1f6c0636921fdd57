"""Report figures against bookings made here, on SQLite and PostgreSQL; who may see which report."""

from datetime import date

import pytest

from booking.errors import Forbidden, Invalid, NotFound
from booking.extensions import db
from booking.facilities.models import Blackout
from booking.reports import services as reports
from tests import factories as f
from tests import world as w
from tests.reports_data import TZ, book
from tests.world import local

NOVEMBER = reports.Period(date(2026, 11, 1), date(2026, 11, 30), TZ)
WEDNESDAY = reports.Period(date(2026, 11, 25), date(2026, 11, 25), TZ)


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False)
    world.hostadmin = f.user("hostadmin", roles=[("host_admin", world.host)])
    world.district = f.user("district", roles=[("district_admin", f.org("区总工会", kind="federation"))])
    world.ent2_worker = f.user("w_other", world.other_ent)
    return world


def test_bookings_of_two_enterprises_count_enterprises_workers_and_hours(world):
    book(world.court, world.worker, local(2026, 11, 25, 19))
    book(world.court, world.worker2, local(2026, 11, 25, 20))
    book(world.gym, world.ent2_worker, local(2026, 11, 26, 10), places=2)
    # Not counted: cancelled, rejected, outside the period, another host's.
    book(world.court, world.worker, local(2026, 11, 27, 19), status="cancelled")
    book(world.court, world.worker, local(2026, 11, 27, 20), status="rejected")
    book(world.court, world.worker, local(2026, 12, 2, 19))
    book(world.other_court, world.outsider, local(2026, 11, 25, 19))

    report = reports.host_report(world.hostadmin, world.host.id, NOVEMBER)

    assert (report.enterprises_served, report.workers_served, report.bookings) == (2, 3, 3)
    assert report.minutes == pytest.approx(180)
    by_name = {e.name: e for e in report.enterprises}
    assert set(by_name) == {world.ent.name, world.other_ent.name}
    assert (by_name[world.ent.name].bookings, by_name[world.ent.name].minutes, by_name[world.ent.name].workers) == (
        2,
        pytest.approx(120),
        2,
    )
    assert report.enterprises[0].name == world.ent.name  # most hours first


def test_no_show_rate_is_no_shows_among_those_due(world):
    book(world.court, world.worker, local(2026, 11, 25, 19), status="no_show")
    book(world.court, world.worker2, local(2026, 11, 25, 20), status="checked_in")
    book(world.gym, world.worker, local(2026, 11, 25, 19), status="checked_in")
    book(world.gym, world.worker2, local(2026, 11, 26, 19), status="confirmed")  # not due: not in the rate

    report = reports.host_report(world.hostadmin, world.host.id, NOVEMBER)

    facilities = {fac.id: fac for fac in report.facilities}
    assert facilities[world.court.id].no_show_rate == pytest.approx(0.5)
    assert facilities[world.gym.id].no_show_rate == 0
    assert report.no_show_rate == pytest.approx(1 / 3)
    assert report.bookings == 4  # a no-show still booked its place


def test_no_show_rate_is_none_when_nobody_was_due(world):
    book(world.court, world.worker, local(2026, 11, 25, 19))
    report = reports.host_report(world.hostadmin, world.host.id, NOVEMBER)
    assert report.no_show_rate is None


def test_heatmap_is_share_of_offered_places_by_weekday_and_hour(world):
    # The court (capacity 1) and the gym (capacity 5) open 08:00-22:00 every day.
    book(world.court, world.worker, local(2026, 11, 25, 19))
    book(world.gym, world.worker, local(2026, 11, 25, 19), places=2)
    book(world.gym, world.worker2, local(2026, 11, 25, 19), places=1, status="no_show")

    report = reports.host_report(world.hostadmin, world.host.id, WEDNESDAY)

    facilities = {fac.id: fac for fac in report.facilities}
    court, gym = facilities[world.court.id], facilities[world.gym.id]
    assert court.hours == list(range(8, 22))
    assert court.cells[(2, 19)].share == 1.0  # Wednesday is weekday 2
    assert court.cells[(2, 8)].share == 0.0
    assert (1, 19) not in court.cells  # only Wednesday is in the period
    assert gym.cells[(2, 19)].share == pytest.approx(3 / 5)
    assert court.utilization == pytest.approx(1 / 14)


def test_heatmap_over_two_weeks_and_a_blackout(world):
    book(world.court, world.worker, local(2026, 11, 18, 19))
    db.session.add(
        Blackout(facility_id=world.court.id, starts_at=local(2026, 11, 25, 18), ends_at=local(2026, 11, 25, 20))
    )
    db.session.commit()
    period = reports.Period(date(2026, 11, 16), date(2026, 11, 29), TZ)

    court = {fac.id: fac for fac in reports.host_report(world.hostadmin, world.host.id, period).facilities}[
        world.court.id
    ]

    assert court.cells[(2, 19)].share == 1.0  # the other Wednesday 19:00 was blacked out: not offered
    assert court.cells[(2, 20)].share == 0.0
    assert court.cells[(3, 19)].share == 0.0  # two Thursdays offered, none booked
    assert court.cells[(3, 19)].offered == 2 * 60


def test_period_is_local_days(world):
    night = f.facility(world.court.venue, "通宵自习室", kind="reading_room", capacity=10, opens=0, closes=1440)
    book(night, world.worker, local(2026, 11, 30, 23))  # 15:00 UTC: still November in Ningbo
    book(night, world.worker, local(2026, 12, 1, 0))  # 16:00 UTC on Nov 30: December in Ningbo
    book(night, world.worker, local(2026, 11, 1, 0))  # 16:00 UTC on Oct 31: November in Ningbo
    report = reports.host_report(world.hostadmin, world.host.id, NOVEMBER)
    assert report.bookings == 2


def test_host_report_permissions(world):
    assert [h.id for h in reports.report_hosts(world.hostadmin)] == [world.host.id]
    with pytest.raises(NotFound):
        reports.host_report(world.hostadmin, world.other_host.id, NOVEMBER)
    with pytest.raises(NotFound):
        reports.host_report(world.hostadmin, 999999, NOVEMBER)
    for person in (world.worker, world.admin, world.staff):
        with pytest.raises(Forbidden):
            reports.host_report(person, world.host.id, NOVEMBER)
    # District admins: every host that owns venues.
    assert {h.id for h in reports.report_hosts(world.district)} == {world.host.id, world.other_host.id}
    assert reports.host_report(world.district, world.other_host.id, NOVEMBER).host.id == world.other_host.id
    with pytest.raises(NotFound) as err:
        reports.host_report(world.district, 999999, NOVEMBER)
    assert err.value.code == "unknown_host"
    with pytest.raises(NotFound):
        reports.host_report(world.district, world.ent.id, NOVEMBER)  # an enterprise without venues: no host


def test_district_report_per_host_totals_and_weeks(world):
    book(world.court, world.worker, local(2026, 11, 18, 19))  # week of Nov 16
    book(world.court, world.worker2, local(2026, 11, 25, 19))  # week of Nov 23
    book(world.gym, world.worker, local(2026, 11, 25, 20), minutes=90)
    book(world.other_court, world.worker, local(2026, 11, 26, 19))  # same worker at the other host
    book(world.other_court, world.outsider, local(2026, 11, 26, 20), status="cancelled")
    period = reports.Period(date(2026, 11, 16), date(2026, 11, 29), TZ)

    report = reports.district_report(world.district, period)

    hosts = {h.host.id: h for h in report.hosts}
    mine, other = hosts[world.host.id], hosts[world.other_host.id]
    assert (mine.enterprises, mine.workers, mine.bookings) == (1, 2, 3)
    assert mine.minutes == pytest.approx(210)
    assert (other.enterprises, other.workers, other.bookings) == (1, 1, 1)
    # District-wide, a worker who booked at two hosts is one worker served.
    assert (report.enterprises, report.workers, report.bookings) == (1, 2, 4)
    assert report.weeks == [date(2026, 11, 16), date(2026, 11, 23)]
    assert mine.weeks == {date(2026, 11, 16): 1, date(2026, 11, 23): 2}
    assert report.week_total(date(2026, 11, 23)) == 3
    assert report.hosts[0].host.id == world.host.id  # most bookings first


def test_district_report_is_for_district_admins(world):
    for person in (world.hostadmin, world.worker, world.admin, world.staff):
        with pytest.raises(Forbidden):
            reports.district_report(person, NOVEMBER)


def test_period_from_text():
    today = date(2026, 11, 24)
    assert reports.period_from_text(None, None, today, TZ) == reports.Period(date(2026, 11, 1), date(2026, 11, 30), TZ)
    assert reports.period_from_text(None, None, date(2026, 12, 31), TZ).end == date(2026, 12, 31)
    assert reports.period_from_text("2026-01-01", "2027-02-04", today, TZ).days == 400
    cases = {
        ("", ""): "missing_date",
        ("2026-11-01", ""): "missing_date",
        ("2026-11-01", None): "missing_date",
        ("2026-13-01", "2026-12-01"): "bad_date",
        ("20261101", "2026-11-30"): "bad_date",
        ("yesterday", "2026-11-30"): "bad_date",
        ("1999-12-31", "2000-01-02"): "bad_date",
        ("2026-11-30", "2026-11-01"): "inverted",
        ("2026-01-01", "2027-02-05"): "too_long",
    }
    for (start, end), code in cases.items():
        with pytest.raises(Invalid) as err:
            reports.period_from_text(start, end, today, TZ)
        assert err.value.code == code, (start, end)
        assert err.value.message
