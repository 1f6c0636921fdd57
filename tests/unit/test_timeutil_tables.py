"""booking/timeutil.py at its edges: ISO weeks, local days, DST days, offsets (tables)."""

from datetime import date, datetime, timedelta, timezone

import pytest

from booking import timeutil as t


def utc(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "day, monday, label",
    [
        (date(2026, 11, 23), date(2026, 11, 23), "2026-W48"),  # Monday is its own week start
        (date(2026, 11, 29), date(2026, 11, 23), "2026-W48"),  # Sunday ends the ISO week
        (date(2026, 11, 30), date(2026, 11, 30), "2026-W49"),
        (date(2026, 12, 31), date(2026, 12, 28), "2026-W53"),  # 2026 has 53 ISO weeks
        (date(2027, 1, 3), date(2026, 12, 28), "2026-W53"),  # early January in last year's week
        (date(2027, 1, 4), date(2027, 1, 4), "2027-W01"),
        (date(2024, 12, 30), date(2024, 12, 30), "2025-W01"),  # late December in next year's week
        (date(2025, 12, 28), date(2025, 12, 22), "2025-W52"),
        (date(2028, 2, 29), date(2028, 2, 28), "2028-W09"),  # leap day
    ],
)
def test_iso_weeks(day, monday, label):
    assert t.week_start(day) == monday
    assert t.iso_week_label(day) == label


@pytest.mark.parametrize(
    "instant, tz, day, minute",
    [
        # Shanghai, always +08:00: local midnight is 16:00 UTC the day before.
        (utc(2026, 11, 29, 15, 59), "Asia/Shanghai", date(2026, 11, 29), 23 * 60 + 59),
        (utc(2026, 11, 29, 16, 0), "Asia/Shanghai", date(2026, 11, 30), 0),
        (utc(2026, 12, 31, 16, 0), "Asia/Shanghai", date(2027, 1, 1), 0),
        # Berlin in winter (+01:00) and summer (+02:00).
        (utc(2026, 1, 4, 22, 59), "Europe/Berlin", date(2026, 1, 4), 23 * 60 + 59),
        (utc(2026, 1, 4, 23, 0), "Europe/Berlin", date(2026, 1, 5), 0),
        (utc(2026, 7, 5, 21, 59), "Europe/Berlin", date(2026, 7, 5), 23 * 60 + 59),
        (utc(2026, 7, 5, 22, 0), "Europe/Berlin", date(2026, 7, 6), 0),
        # Spring-forward: 01:59:59 CET is followed by 03:00 CEST.
        (utc(2026, 3, 29, 0, 59), "Europe/Berlin", date(2026, 3, 29), 1 * 60 + 59),
        (utc(2026, 3, 29, 1, 0), "Europe/Berlin", date(2026, 3, 29), 3 * 60),
        # Fall-back: 02:30 happens twice (CEST, then CET).
        (utc(2026, 10, 25, 0, 30), "Europe/Berlin", date(2026, 10, 25), 2 * 60 + 30),
        (utc(2026, 10, 25, 1, 30), "Europe/Berlin", date(2026, 10, 25), 2 * 60 + 30),
    ],
)
def test_local_day_and_minute(instant, tz, day, minute):
    assert t.local_date(instant, tz) == day
    assert t.minute_of_day(instant, tz) == minute


@pytest.mark.parametrize(
    "tz, day, hours, start",
    [
        ("Asia/Shanghai", date(2026, 3, 29), 24, utc(2026, 3, 28, 16)),
        ("Asia/Shanghai", date(2026, 10, 25), 24, utc(2026, 10, 24, 16)),
        ("Europe/Berlin", date(2026, 3, 28), 24, utc(2026, 3, 27, 23)),
        ("Europe/Berlin", date(2026, 3, 29), 23, utc(2026, 3, 28, 23)),
        ("Europe/Berlin", date(2026, 3, 30), 24, utc(2026, 3, 29, 22)),
        ("Europe/Berlin", date(2026, 10, 25), 25, utc(2026, 10, 24, 22)),
        ("Europe/Berlin", date(2026, 10, 26), 24, utc(2026, 10, 25, 23)),
    ],
)
def test_local_day_bounds(tz, day, hours, start):
    assert t.local_day_bounds(day, tz) == (start, start + timedelta(hours=hours))


def test_shanghai_has_24_hour_days_all_year():
    day = date(2026, 1, 1)
    while day.year == 2026:
        start, end = t.local_day_bounds(day, "Asia/Shanghai")
        assert end - start == timedelta(hours=24)
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "tz, day",
    [
        ("Asia/Shanghai", date(2026, 11, 24)),
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
        ("Europe/Berlin", date(2026, 7, 1)),
    ],
)
def test_day_converter_agrees_with_local_to_utc(tz, day):
    convert = t.day_converter(day, tz)
    for minute in range(0, 24 * 60, 15):
        assert convert(minute) == t.local_to_utc(day, minute, tz), minute


@pytest.mark.parametrize(
    "instant, tz, text",
    [
        (utc(2026, 11, 24, 11), "Asia/Shanghai", "2026-11-24T19:00:00+08:00"),
        (utc(2026, 3, 29, 0, 59), "Europe/Berlin", "2026-03-29T01:59:00+01:00"),
        (utc(2026, 3, 29, 1, 0), "Europe/Berlin", "2026-03-29T03:00:00+02:00"),
        (utc(2026, 10, 25, 0, 30), "Europe/Berlin", "2026-10-25T02:30:00+02:00"),
        (utc(2026, 10, 25, 1, 30), "Europe/Berlin", "2026-10-25T02:30:00+01:00"),
    ],
)
def test_offsets_in_iso_text(instant, tz, text):
    assert t.isoformat_local(instant, tz) == text
    assert t.formatter(tz)(instant) == text
    assert t.as_utc(datetime.fromisoformat(text), "Asia/Shanghai") == instant


@pytest.mark.parametrize(
    "text, tz, instant",
    [
        ("2026-11-24T19:00", "Asia/Shanghai", utc(2026, 11, 24, 11)),
        ("2026-07-01T19:00", "Europe/Berlin", utc(2026, 7, 1, 17)),
        ("2026-01-01T19:00", "Europe/Berlin", utc(2026, 1, 1, 18)),
        ("2026-11-24T19:00:00+01:00", "Asia/Shanghai", utc(2026, 11, 24, 18)),  # an offset wins over the zone
    ],
)
def test_client_instants(text, tz, instant):
    assert t.as_utc(datetime.fromisoformat(text), tz) == instant
