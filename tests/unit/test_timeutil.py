"""The one place that knows about time zones."""

from datetime import date, datetime, timezone

import pytest

from booking import timeutil as t


def test_local_minute_to_utc_in_shanghai():
    assert t.local_to_utc(date(2026, 11, 24), 19 * 60, "Asia/Shanghai") == datetime(
        2026, 11, 24, 11, 0, tzinfo=timezone.utc
    )


def test_day_bounds_cross_the_utc_date_line():
    start, end = t.local_day_bounds(date(2026, 11, 24), "Asia/Shanghai")
    assert start == datetime(2026, 11, 23, 16, tzinfo=timezone.utc)
    assert end == datetime(2026, 11, 24, 16, tzinfo=timezone.utc)


def test_day_with_dst_change_has_23_hours():
    start, end = t.local_day_bounds(date(2026, 3, 8), "America/New_York")
    assert (end - start).total_seconds() == 23 * 3600


def test_sunday_night_in_shanghai_is_still_that_iso_week():
    sunday_late = datetime(2026, 11, 29, 15, 30, tzinfo=timezone.utc)  # 23:30 local, Sunday
    day = t.local_date(sunday_late, "Asia/Shanghai")
    assert day == date(2026, 11, 29)
    assert t.week_start(day) == date(2026, 11, 23)
    assert t.iso_week_label(day) == "2026-W48"
    monday_early = datetime(2026, 11, 29, 16, 30, tzinfo=timezone.utc)  # 00:30 local, Monday
    assert t.iso_week_label(t.local_date(monday_early, "Asia/Shanghai")) == "2026-W49"


def test_iso_week_label_at_year_boundary():
    assert t.iso_week_label(date(2027, 1, 1)) == "2026-W53"


def test_isoformat_has_the_venue_offset():
    assert (
        t.isoformat_local(datetime(2026, 11, 24, 11, tzinfo=timezone.utc), "Asia/Shanghai")
        == "2026-11-24T19:00:00+08:00"
    )


def test_client_instant_without_offset_is_venue_local():
    assert t.as_utc(datetime(2026, 11, 24, 19), "Asia/Shanghai") == datetime(2026, 11, 24, 11, tzinfo=timezone.utc)
    assert t.as_utc(datetime(2026, 11, 24, 11, tzinfo=timezone.utc), "Asia/Shanghai") == datetime(
        2026, 11, 24, 11, tzinfo=timezone.utc
    )


def test_zone_validation():
    assert t.is_valid_zone("Asia/Shanghai")
    assert not t.is_valid_zone("Mars/Olympus")
    assert not t.is_valid_zone("../../etc/passwd")


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_formatter_agrees_with_isoformat_local_across_dst(tz):
    from datetime import timedelta

    iso = t.formatter(tz)
    instant = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for _ in range(365 * 24 * 4 // 7):  # every 7 quarter hours through the year, both DST changes
        assert iso(instant) == t.isoformat_local(instant, tz)
        instant += timedelta(minutes=105)


@pytest.mark.parametrize("tz", ["America/New_York", "Australia/Lord_Howe", "Europe/London"])
def test_formatter_kept_across_reads_stays_exact_across_dst(tz, monkeypatch):
    """One formatter serves many requests (api.serialize keeps it per zone): the texts it keeps
    by instant are the same as fresh ones, around both DST changes, read again and again, and
    after it drops what it kept (a small cap here)."""
    from datetime import timedelta

    monkeypatch.setattr(t, "_FORMATTED_MAX", 50)
    iso = t.formatter(tz)
    changes = [
        datetime(2026, 3, 8, tzinfo=timezone.utc),
        datetime(2026, 3, 29, tzinfo=timezone.utc),
        datetime(2026, 4, 5, tzinfo=timezone.utc),
        datetime(2026, 10, 4, tzinfo=timezone.utc),
        datetime(2026, 10, 25, tzinfo=timezone.utc),
        datetime(2026, 11, 1, tzinfo=timezone.utc),
    ]
    instants = [day + timedelta(minutes=15 * q) for day in changes for q in range(0, 24 * 4 * 2)]
    for _ in range(3):
        for instant in instants:
            assert iso(instant) == t.isoformat_local(instant, tz)
