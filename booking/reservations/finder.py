"""The quick finder: bookable slots of one kind, across every facility the worker may book.

A few queries per facility and day (scope, places held, blackouts), never one per slot.
"""
from datetime import date, datetime, timedelta

from .. import timeutil
from ..facilities import services
from .availability import day_view

WHENS = ("tonight", "tomorrow", "weekend")


def finder_days(when: str, today: date) -> list[date]:
    """Local days meant by `when`: tonight = today; weekend = this Sat+Sun (or the rest of it)."""
    if when == "tonight":
        return [today]
    if when == "tomorrow":
        return [today + timedelta(days=1)]
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    if today.weekday() == 6:  # Sunday: what is left of this weekend
        return [today]
    return [saturday, saturday + timedelta(days=1)]


def find_slots(user, kind: str, when: str, now: datetime, default_tz: str) -> list[dict]:
    """[{facility, days: [{day, slots}]}] with only bookable slots; empty days and facilities left out.

    Which facilities are shared is asked once per day (agreements may start or end), not once
    per facility; then each facility's day costs two queries (places held, blackouts).
    """
    today = timeutil.local_date(now, default_tz)
    found: dict[int, dict] = {}
    for day in finder_days(when, today):
        for facility in services.visible_facilities(user, day, kind=kind):
            # Staff also see the facilities they manage; the finder is about booking.
            if services.manages(user, facility) and not services.may_book(user, facility, day):
                continue
            slots = [s for s in day_view(facility, day, now, True) if s["bookable"]]
            if slots:
                entry = found.setdefault(facility.id, {"facility": facility, "days": []})
                entry["days"].append({"day": day, "slots": slots})
    return list(found.values())
