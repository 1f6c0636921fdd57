"""The audit log in words: field names people say, values in local time and the reader's
language, and the ids of facilities, organizations and people as their names.

Read-only and for display (the audit log page, admin/views.py): the stored entries (JSON
before/after) are never changed.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import timeutil
from ..accounts.models import User
from ..extensions import db
from ..facilities.models import Facility, Venue
from ..organizations.models import Organization

FIELDS = {
    "name": _l("Name"),
    "address": _l("Address"),
    "timezone": _l("Time zone"),
    "kind": _l("Kind"),
    "requires_approval": _l("Needs approval"),
    "description": _l("Description"),
    "active": _l("Open for booking"),
    "capacity": _l("Places"),
    "slot_minutes": _l("Slot length (minutes)"),
    "window_days": _l("Bookable days ahead"),
    "window_opens_minute": _l("Bookings open at"),
    "min_notice_minutes": _l("Minimum notice (minutes)"),
    "cancel_cutoff_minutes": _l("Cancel until (minutes before)"),
    "checkin_before_minutes": _l("Check-in opens (minutes before)"),
    "checkin_after_minutes": _l("Check-in closes (minutes after)"),
    "hours": _l("Opening hours"),
    "parent_id": _l("Belongs to"),
    "headcount": _l("Headcount"),
    "invite_code": _l("Invite code"),
    "enterprise_id": _l("Enterprise"),
    "group_id": _l("Union"),
    "all_facilities": _l("All facilities"),
    "minutes_per_week": _l("Hours per week"),
    "bookings_per_worker": _l("Bookings per worker per week"),
    "valid_from": _l("From"),
    "valid_until": _l("Until"),
    "facility_ids": _l("Facilities"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "reason": _l("Reason"),
    "status": _l("Status"),
    "facility_id": _l("Facility"),
    "role": _l("Role"),
    "organization_id": _l("Organization"),
    "blackout_id": _l("Closed period"),
    "username": _l("Username"),
    "user_id": _l("Person"),
    "venue_id": _l("Venue"),
}
OBJECTS = {
    "facility": _l("Facility"),
    "venue": _l("Venue"),
    "organization": _l("Organization"),
    "agreement": _l("Sharing agreement"),
    "blackout": _l("Closed period"),
    "reservation": _l("Booking"),
    "user": _l("Person"),
    "member": _l("Member"),
}
_ORG_KEYS = ("enterprise_id", "group_id", "parent_id", "organization_id")
MINUTE_OF_DAY = ("window_opens_minute",)


def field_label(key: str) -> str:
    return str(FIELDS.get(key, key.replace("_", " ")))


class Names:
    """The names behind the ids of one page of entries: a few queries per page, not per entry."""

    def __init__(self, entries):
        wanted = {"facility": set(), "organization": set(), "user": set(), "venue": set()}
        for e in entries:
            for side in (e.before or {}, e.after or {}):
                for key, value in side.items():
                    ids = value if isinstance(value, list) else [value]
                    ids = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
                    if key in ("facility_id", "facility_ids"):
                        wanted["facility"].update(ids)
                    elif key in _ORG_KEYS:
                        wanted["organization"].update(ids)
                    elif key == "user_id":
                        wanted["user"].update(ids)
            if e.obj_type in wanted and e.obj_id:
                wanted[e.obj_type].add(e.obj_id)
        self.names = {kind: {} for kind in wanted}
        for kind, model, column in (
            ("facility", Facility, Facility.name),
            ("venue", Venue, Venue.name),
            ("organization", Organization, Organization.name),
            ("user", User, User.display_name),
        ):
            if wanted[kind]:
                rows = db.session.execute(select(model.id, column).where(model.id.in_(wanted[kind])))
                self.names[kind] = dict(rows.all())

    def of(self, kind: str, ident) -> str:
        return self.names.get(kind, {}).get(ident) or f"#{ident}"

    def subject(self, entry) -> str:
        """ "Facility · 羽毛球场 1 号" rather than "facility #3"."""
        label = str(OBJECTS.get(entry.obj_type, entry.obj_type))
        if entry.obj_type in self.names and entry.obj_id in self.names[entry.obj_type]:
            return f"{label} · {self.names[entry.obj_type][entry.obj_id]}"
        return label

    def value(self, key: str, value, tz: str) -> str:
        from ..filters import day_label, kind_label, role_label, status_label

        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return str(_l("Yes") if value else _l("No"))
        if key in ("facility_id", "facility_ids"):
            ids = value if isinstance(value, list) else [value]
            return "、".join(self.of("facility", i) for i in ids)
        if key in _ORG_KEYS:
            return self.of("organization", value)
        if key == "user_id":
            return self.of("user", value)
        if key == "status":
            return status_label(value)
        if key == "kind":
            return kind_label(value)
        if key == "role":
            return role_label(value)
        if key in MINUTE_OF_DAY and isinstance(value, int):
            return f"{value // 60:02d}:{value % 60:02d}"
        if key == "minutes_per_week" and isinstance(value, int):
            return str(_l("%(h)s h", h=f"{value / 60:g}"))
        if key == "hours" and isinstance(value, dict):
            return _hours_text(value)
        if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
            return _date_text(value, tz, day_label)
        if isinstance(value, (list, dict)):
            return ", ".join(str(v) for v in (value if isinstance(value, list) else value.values()))
        return str(value)


def _date_text(value: str, tz: str, day_label) -> str:
    """ISO text as the reader's local date (and time): 12月1日 18:30, not 2026-12-01T10:30:00+00:00."""
    try:
        if len(value) == 10:
            return day_label(date.fromisoformat(value), "M/d")
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    if instant.tzinfo is None:
        return value
    local = timeutil.to_local(instant, tz)
    return f"{day_label(local.date(), 'M/d')} {local:%H:%M}"


def _hours_text(week: dict) -> str:
    from babel.dates import get_day_names
    from flask_babel import get_locale

    names = get_day_names("abbreviated", locale=get_locale())
    parts = []
    for day, periods in sorted(week.items(), key=lambda kv: int(kv[0]) if str(kv[0]).isdigit() else 9):
        if not str(day).isdigit():
            continue
        text = (
            ", ".join(
                f"{o // 60:02d}:{o % 60:02d}–{c // 60:02d}:{c % 60:02d}"
                for o, c in periods
                if isinstance(o, int) and isinstance(c, int)
            )
            if isinstance(periods, list)
            else str(periods)
        )
        parts.append(f"{names[int(day)]} {text or '—'}")
    return "; ".join(parts)
