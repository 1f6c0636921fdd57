"""The quick finder: bookable slots of one kind, across every facility the worker may book.

A few queries per facility and day (scope, places held, blackouts), never one per slot.
"""

from datetime import date, datetime, timedelta

from .. import timeutil
from ..facilities import services
from .availability import day_view

WHENS = ("tonight", "tomorrow", "weekend")
EVENING = 17 * 60  # "tonight" starts at 17:00 local


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


def find_slots(user, kind: str, when: str, now: datetime, default_tz: str, limit: int = 60) -> list[dict]:
    """[{facility, day, slot}], bookable slots only, soonest first; at a given time the slots
    confirmed at once come before those that need the host's approval.

    "Tonight" means from EVENING (or now, if later) to closing, not the whole day. Which
    facilities are shared is asked once per day (agreements may start or end), not once per
    facility; then each facility's day costs two queries (places held, blackouts).
    """
    today = timeutil.local_date(now, default_tz)
    found: list[dict] = []
    for day in finder_days(when, today):
        for facility in services.visible_facilities(user, day, kind=kind):
            # Staff also see the facilities they manage; the finder is about booking.
            if services.manages(user, facility) and not services.may_book(user, facility, day):
                continue
            tz = facility.venue.timezone
            for slot in day_view(facility, day, now, True):
                if not slot["bookable"]:
                    continue
                if when == "tonight" and timeutil.minute_of_day(slot["start"], tz) < EVENING:
                    continue
                found.append({"facility": facility, "day": day, "slot": slot})
    found.sort(
        key=lambda item: (
            item["slot"]["start"],
            item["facility"].requires_approval,
            item["facility"].name,
            item["facility"].id,
        )
    )
    return found[:limit]
