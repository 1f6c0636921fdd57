"""The pure slot rules (booking/facilities/rules.py), table by table, at their edges.

Every rule takes `now`; none reads the clock, so each row states exactly the instant it is
about. Times are written as venue wall clock and converted with the zone's own rules, so the
same tables hold in a zone without DST (Asia/Shanghai) and one with it (Europe/Berlin).
"""

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from booking import timeutil
from booking.checkin.services import _result_for
from booking.facilities import rules
from booking.facilities.rules import SlotRules

SECOND = timedelta(seconds=1)
EVERY_DAY = {weekday: [(8 * 60, 22 * 60)] for weekday in range(7)}


def wall(tz, y, m, d, hh, mm=0):
    """A venue's wall-clock time as aware UTC."""
    return timeutil.local_to_utc(date(y, m, d), hh * 60 + mm, tz)


def utc(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=timezone.utc)


def slot_rules(
    tz="Asia/Shanghai", hours=None, slot_minutes=60, window_days=7, opens_minute=8 * 60, notice=60
) -> SlotRules:
    return SlotRules(
        timezone=tz,
        slot_minutes=slot_minutes,
        hours=EVERY_DAY if hours is None else hours,
        window_days=window_days,
        window_opens_minute=opens_minute,
        min_notice_minutes=notice,
    )


# --- the day's slots ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tz, day, first, last, count",
    [
        # No DST: 08:00 local is 00:00 UTC every day of the year.
        ("Asia/Shanghai", date(2026, 3, 29), utc(2026, 3, 29, 0), utc(2026, 3, 29, 13), 14),
        ("Asia/Shanghai", date(2026, 10, 25), utc(2026, 10, 25, 0), utc(2026, 10, 25, 13), 14),
        ("Asia/Shanghai", date(2026, 12, 31), utc(2026, 12, 31, 0), utc(2026, 12, 31, 13), 14),
        # Berlin the day before spring-forward (CET, +01:00) ...
        ("Europe/Berlin", date(2026, 3, 28), utc(2026, 3, 28, 7), utc(2026, 3, 28, 20), 14),
        # ... on the day (02:00 -> 03:00, before opening): wall-clock hours, now at +02:00.
        ("Europe/Berlin", date(2026, 3, 29), utc(2026, 3, 29, 6), utc(2026, 3, 29, 19), 14),
        # Fall-back day (03:00 -> 02:00): back to +01:00, still 14 one-hour slots from 08:00 wall time.
        ("Europe/Berlin", date(2026, 10, 25), utc(2026, 10, 25, 7), utc(2026, 10, 25, 20), 14),
        ("Europe/Berlin", date(2026, 10, 24), utc(2026, 10, 24, 6), utc(2026, 10, 24, 19), 14),
    ],
)
def test_day_slots_follow_the_wall_clock(tz, day, first, last, count):
    slots = rules.day_slots(slot_rules(tz), day)
    assert len(slots) == count
    assert slots[0][0] == first and slots[-1][0] == last
    assert all(end - start == timedelta(hours=1) for start, end in slots)
    assert all(a[1] == b[0] for a, b in zip(slots, slots[1:]))


@pytest.mark.parametrize(
    "hours, slot_minutes, expected_local_starts",
    [
        ({}, 60, []),  # closed that weekday
        ({1: [(8 * 60, 10 * 60)]}, 60, ["08:00", "09:00"]),
        ({1: [(8 * 60, 9 * 60 + 59)]}, 60, ["08:00"]),  # the last partial slot is not offered
        ({1: [(8 * 60, 8 * 60 + 59)]}, 60, []),
        ({1: [(14 * 60, 15 * 60), (8 * 60, 9 * 60)]}, 60, ["08:00", "14:00"]),  # periods in time order
        ({1: [(8 * 60, 9 * 60)]}, 30, ["08:00", "08:30"]),
        ({0: [(8 * 60, 9 * 60)]}, 60, []),  # Monday's hours, asked on a Tuesday
    ],
)
def test_day_slots_by_opening_hours(hours, slot_minutes, expected_local_starts):
    tuesday = date(2026, 11, 24)
    slots = rules.day_slots(slot_rules(hours=hours, slot_minutes=slot_minutes), tuesday)
    assert [timeutil.to_local(s, "Asia/Shanghai").strftime("%H:%M") for s, _ in slots] == expected_local_starts


@pytest.mark.parametrize(
    "start, found",
    [
        (wall("Asia/Shanghai", 2026, 11, 24, 19), True),
        (wall("Asia/Shanghai", 2026, 11, 24, 19, 1), False),  # not a slot boundary
        (wall("Asia/Shanghai", 2026, 11, 24, 7), False),  # before opening
        (wall("Asia/Shanghai", 2026, 11, 24, 21), True),  # the last slot
        (wall("Asia/Shanghai", 2026, 11, 24, 22), False),  # closing time starts nothing
    ],
)
def test_slot_at(start, found):
    slot = rules.slot_at(slot_rules(), start)
    assert (slot == (start, start + timedelta(hours=1))) if found else slot is None


# --- booking window and minimum notice ----------------------------------------------------


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin"])
@pytest.mark.parametrize(
    "anchor, delta, problem",
    [
        # relative to when the window opens: 7 days before the slot's day, 08:00 local
        ("opens", -SECOND, rules.OUTSIDE_WINDOW),
        ("opens", timedelta(0), None),
        ("opens", SECOND, None),
        # relative to the latest booking time: 60 minutes before the start
        ("notice", -SECOND, None),
        ("notice", timedelta(0), None),
        ("notice", SECOND, rules.OUTSIDE_WINDOW),
        ("start", timedelta(0), rules.OUTSIDE_WINDOW),
        ("start", timedelta(days=1), rules.OUTSIDE_WINDOW),  # past
    ],
)
def test_window_edges(tz, anchor, delta, problem):
    r = slot_rules(tz)
    start = wall(tz, 2026, 11, 25, 19)
    base = {"opens": wall(tz, 2026, 11, 18, 8), "notice": start - timedelta(minutes=60), "start": start}
    assert rules.window_opens_at(r, date(2026, 11, 25)) == base["opens"]
    assert rules.window_problem(r, start, base[anchor] + delta) == problem


@pytest.mark.parametrize(
    "slot_day, opens_at",
    [
        # The window opens at 08:00 wall time 7 days ahead, whatever the offset on either day.
        (date(2026, 4, 2), wall("Europe/Berlin", 2026, 3, 26, 8)),  # opens in CET, slot in CEST
        (date(2026, 3, 29), utc(2026, 3, 22, 7)),  # opens 08:00 CET = 07:00 UTC
        (date(2026, 11, 1), utc(2026, 10, 25, 7)),  # opens on fall-back day, CET
        (date(2026, 10, 31), utc(2026, 10, 24, 6)),  # opens the day before, CEST
    ],
)
def test_window_opening_across_dst_changes(slot_day, opens_at):
    assert rules.window_opens_at(slot_rules("Europe/Berlin"), slot_day) == opens_at


def test_window_opening_in_shanghai_is_midnight_utc_for_an_8am_opening():
    assert rules.window_opens_at(slot_rules(), date(2027, 1, 1)) == utc(2026, 12, 25, 0)


def test_day_window_agrees_with_window_problem():
    r = slot_rules()
    day = date(2026, 11, 25)
    check = rules.day_window(r, day)
    for start, _ in rules.day_slots(r, day):
        for now in (
            utc(2026, 11, 17, 23, 59),
            utc(2026, 11, 18, 0),
            start - timedelta(minutes=61),
            start - timedelta(minutes=59),
        ):
            assert check(start, now) == rules.window_problem(r, start, now)


# --- blackouts, overlaps, places ----------------------------------------------------------

S, E = utc(2026, 11, 25, 11), utc(2026, 11, 25, 12)


@pytest.mark.parametrize(
    "blackouts, hit",
    [
        ([], False),
        ([(E, E + timedelta(hours=1))], False),  # starts as the slot ends
        ([(S - timedelta(hours=1), S)], False),  # ends as the slot starts
        ([(S - timedelta(hours=1), S + SECOND)], True),  # one second into the slot
        ([(E - SECOND, E + timedelta(hours=1))], True),  # the slot's last second
        ([(S, E)], True),  # exactly the slot
        ([(S + timedelta(minutes=20), S + timedelta(minutes=30))], True),  # inside it
        ([(S - timedelta(days=1), E + timedelta(days=1))], True),  # around it
        ([(S - timedelta(hours=2), S - timedelta(hours=1)), (E, E + SECOND)], False),
        ([(S - timedelta(hours=2), S - timedelta(hours=1)), (E - SECOND, E)], True),
    ],
)
def test_blackout_edges(blackouts, hit):
    assert rules.blacked_out(S, E, blackouts) is hit


@pytest.mark.parametrize("capacity, party, places", [(1, 1, 1), (1, 4, 1), (5, 1, 1), (5, 3, 3), (30, 30, 30)])
def test_places_needed(capacity, party, places):
    assert rules.places_needed(capacity, party) == places


# --- cancel cutoff and check-in window ----------------------------------------------------


@pytest.mark.parametrize(
    "now, cutoff, allowed",
    [
        (S - timedelta(minutes=120), 120, True),
        (S - timedelta(minutes=120) + SECOND, 120, False),
        (S - timedelta(minutes=121), 120, True),
        (S, 0, True),
        (S + SECOND, 0, False),
        (S - timedelta(days=2), 24 * 60, True),
    ],
)
def test_cancel_cutoff(now, cutoff, allowed):
    assert rules.can_cancel(S, now, cutoff) is allowed


@pytest.mark.parametrize(
    "before, after, opens, closes",
    [
        (15, 30, S - timedelta(minutes=15), S + timedelta(minutes=30)),
        (0, 0, S, S),
        (60, 60, S - timedelta(hours=1), S + timedelta(hours=1)),
    ],
)
def test_checkin_window(before, after, opens, closes):
    assert rules.checkin_window(S, before, after) == (opens, closes)


def booking_row(status="confirmed", before=15, after=30):
    return SimpleNamespace(
        status=status, start_at=S, facility=SimpleNamespace(checkin_before_minutes=before, checkin_after_minutes=after)
    )


@pytest.mark.parametrize(
    "status, now, result",
    [
        ("confirmed", S - timedelta(minutes=15) - SECOND, "too_early"),
        ("confirmed", S - timedelta(minutes=15), "ok"),  # the window's first instant
        ("confirmed", S, "ok"),
        ("confirmed", S + timedelta(minutes=30), "ok"),  # its last instant
        ("confirmed", S + timedelta(minutes=30) + SECOND, "too_late"),
        ("pending", S, "not_approved"),
        ("rejected", S, "not_approved"),
        ("cancelled", S, "cancelled"),
        ("checked_in", S, "already_checked_in"),
        ("no_show", S, "too_late"),
    ],
)
def test_scan_result_by_status_and_window_edge(status, now, result):
    assert _result_for(booking_row(status), now) == result
