"""Pure rules about a facility's slots. Every function takes `now`; none reads the clock.

A slot is [start, end) of `slot_minutes`, laid from the opening of each period of the local
weekday; a period's last partial slot is not offered. Times in and out are aware UTC.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .. import timeutil

# Why a slot cannot be booked, in the API's conflict codes.
CLOSED = "closed"
OUTSIDE_WINDOW = "outside_window"
BLACKED_OUT = "closed"


@dataclass(frozen=True)
class SlotRules:
    """The facility settings the slot rules need (plain values, cacheable)."""

    timezone: str
    slot_minutes: int
    # weekday -> [(opens_minute, closes_minute)]
    hours: dict
    window_days: int
    window_opens_minute: int
    min_notice_minutes: int


# The facility settings SlotRules carries, under the same names as the facility's columns.
SETTINGS = ("slot_minutes", "window_days", "window_opens_minute", "min_notice_minutes")


def rules_of(settings: Any, timezone: str, periods: Iterable[tuple[int, int, int]]) -> SlotRules:
    """The one way to build a facility's SlotRules. `settings` has the SETTINGS attributes (an
    ORM facility, a row, a namespace of new values); `periods` are (weekday, opens, closes)."""
    hours: dict = {}
    for weekday, opens, closes in periods:
        hours.setdefault(weekday, []).append((opens, closes))
    return SlotRules(timezone=timezone, hours=hours, **{name: getattr(settings, name) for name in SETTINGS})


def day_slots(rules: SlotRules, day: date) -> list[tuple[datetime, datetime]]:
    """The slots of a local calendar day, in order."""
    periods = sorted(rules.hours.get(day.weekday(), ()))
    if not periods:
        return []
    to_utc = timeutil.day_converter(day, rules.timezone)
    slots = []
    for opens, closes in periods:
        minute = opens
        while minute + rules.slot_minutes <= closes:
            slots.append((to_utc(minute), to_utc(minute + rules.slot_minutes)))
            minute += rules.slot_minutes
    return slots


def slot_at(rules: SlotRules, start: datetime) -> tuple[datetime, datetime] | None:
    """The slot that begins exactly at `start`, or None."""
    day = timeutil.local_date(start, rules.timezone)
    for slot in day_slots(rules, day):
        if slot[0] == start:
            return slot
    return None


def window_opens_at(rules: SlotRules, day: date) -> datetime:
    """When slots of `day` become bookable: window_opens_minute (local), window_days before."""
    return timeutil.local_to_utc(day - timedelta(days=rules.window_days), rules.window_opens_minute, rules.timezone)


def window_problem(rules: SlotRules, start: datetime, now: datetime) -> str | None:
    """'outside_window' when the slot is not yet open for booking or too close (or past)."""
    day = timeutil.local_date(start, rules.timezone)
    return day_window(rules, day)(start, now)


def day_window(rules: SlotRules, day: date) -> Callable[[datetime, datetime], str | None]:
    """A check for the slots of one day: f(start, now) -> 'outside_window' or None."""
    opens = window_opens_at(rules, day)
    notice = timedelta(minutes=rules.min_notice_minutes)

    def problem(start: datetime, now: datetime) -> str | None:
        return OUTSIDE_WINDOW if now < opens or now > start - notice else None

    return problem


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def blacked_out(start: datetime, end: datetime, blackouts: Iterable[tuple[datetime, datetime]]) -> bool:
    """`blackouts`: iterable of (starts_at, ends_at)."""
    return any(overlaps(start, end, b_start, b_end) for b_start, b_end in blackouts)


def places_needed(capacity: int, party_size: int) -> int:
    """A court (capacity 1) is taken whole; elsewhere each person takes a place."""
    return 1 if capacity == 1 else party_size


def can_cancel(start: datetime, now: datetime, cutoff_minutes: int) -> bool:
    return now <= start - timedelta(minutes=cutoff_minutes)


def checkin_window(start: datetime, before_minutes: int, after_minutes: int) -> tuple[datetime, datetime]:
    return start - timedelta(minutes=before_minutes), start + timedelta(minutes=after_minutes)


def draw_at(timezone: str, day: date, days_before: int, minute: int) -> datetime:
    """When the draw of a slot on `day` runs: `minute` (local) `days_before` the day."""
    return timeutil.local_to_utc(day - timedelta(days=days_before), minute, timezone)
