"""iCalendar documents of bookings (RFC 5545, built with `icalendar`).

Times carry the venue's TZID with its VTIMEZONE; every event has a stable UID and DTSTAMP;
a cancelled booking stays as STATUS:CANCELLED with a raised SEQUENCE so calendar apps drop it.
"""

from datetime import timedelta

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event

from .. import timeutil

UID_DOMAIN = "shared-venues"
STATUS = {
    "pending": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "checked_in": "CONFIRMED",
    "no_show": "CONFIRMED",
    "cancelled": "CANCELLED",
    "rejected": "CANCELLED",
}
# Raised at every change a calendar app must notice: approval, then cancellation.
SEQUENCE = {"pending": 0, "confirmed": 1, "checked_in": 1, "no_show": 1, "cancelled": 2, "rejected": 2}


def uid(reservation) -> str:
    return f"reservation-{reservation.id}@{UID_DOMAIN}"


def new_calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Shared Venues//共享场馆//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def event(reservation, link: str | None = None, who: str | None = None) -> Event:
    r, facility = reservation, reservation.facility
    venue = facility.venue
    tz = timeutil.zone(venue.timezone)
    e = Event()
    e.add("uid", uid(r))
    e.add("dtstamp", r.updated_at)
    e.add("dtstart", timeutil.to_local(r.start_at, venue.timezone).replace(tzinfo=tz))
    e.add("dtend", timeutil.to_local(r.end_at, venue.timezone).replace(tzinfo=tz))
    e.add("summary", f"{facility.name} · {venue.name}" + (f" · {who}" if who else ""))
    e.add("location", venue.address or venue.name)
    lines = [_("Check-in code: %(code)s", code=r.code)]
    if r.party_size > 1:
        lines.append(_("Party of %(n)d", n=r.party_size))
    if r.reason:
        lines.append(_("Note from the host: %(reason)s", reason=r.reason))
    if link:
        lines.append(link)
    e.add("description", "\n".join(lines))
    e.add("status", STATUS[r.status])
    e.add("sequence", SEQUENCE[r.status])
    e.add("last-modified", r.updated_at)
    e.add("created", r.created_at)
    if link:
        e.add("url", link)
    if STATUS[r.status] != "CANCELLED":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", e["summary"])
        alarm.add("trigger", timedelta(minutes=-30))
        e.add_component(alarm)
    return e


def document(name: str, events: list[Event]) -> bytes:
    cal = new_calendar(name)
    for e in events:
        cal.add_component(e)
    cal.add_missing_timezones()
    return cal.to_ical()
