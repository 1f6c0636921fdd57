"""Host admin use cases: venues, facilities and their weekly hours.

Plain functions taking the acting user and plain values; each change runs in one write
transaction and leaves an audit entry. A change that hits future bookings is not applied until
the admin says what happens to them (`on_affected`): "keep" them where they may stay, or
"cancel" them, each with a notice to its worker (reservations.services.host_cancel).
"""

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import timeutil
from ..audit import services as audit
from ..database import write_transaction
from ..errors import DomainError, Invalid
from ..extensions import db
from ..facilities import rules
from ..facilities.models import KINDS, Facility, OpeningHours, Venue
from ..facilities.versions import change_rules, venue_facility_ids
from . import hours as hours_rules
from . import impact, scope

ON_AFFECTED = ("ask", "keep", "cancel")
NOTICE_MAX = 255
VENUE_FIELDS = ("name", "address", "timezone")
# name -> (lowest, highest) for the whole-number settings of a facility.
FACILITY_NUMBERS = {
    "capacity": (1, 10000),
    "slot_minutes": (5, 1440),
    "window_days": (0, 365),
    "window_opens_minute": (0, 1439),
    "min_notice_minutes": (0, 7 * 24 * 60),
    "cancel_cutoff_minutes": (0, 7 * 24 * 60),
    "checkin_before_minutes": (0, 240),
    "checkin_after_minutes": (0, 240),
    "draw_days_before": (0, 365),
    "draw_minute": (0, 1439),
}
FACILITY_FIELDS = ("name", "kind", "requires_approval", "description", "active", "allocation", *FACILITY_NUMBERS)
ALLOCATIONS = ("first_come", "draw")
DEFAULTS = {
    "capacity": 1,
    "slot_minutes": 60,
    "requires_approval": False,
    "window_days": 7,
    "window_opens_minute": 8 * 60,
    "min_notice_minutes": 30,
    "cancel_cutoff_minutes": 120,
    "checkin_before_minutes": 15,
    "checkin_after_minutes": 15,
    "description": "",
    "hours": {},
    "allocation": "first_come",
    "draw_days_before": 2,
    "draw_minute": 12 * 60,
}


@dataclass
class Outcome:
    """What a change did: whether it was applied, the bookings it hits, what was cancelled."""

    target: object
    applied: bool
    hits: list = field(default_factory=list)
    cancelled: dict = field(default_factory=dict)  # reservation id -> None (done) or error code

    @property
    def blocking(self) -> list:
        return [h for h in self.hits if h.blocking]


# --- validation (pure) -----------------------------------------------------------------------


def _text(value, name: str, label_max: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_l("Please enter text."), code="invalid_" + name, field=name)
    value = value.strip()
    if required and not value:
        raise Invalid(_l("This field is required."), code="invalid_" + name, field=name)
    if len(value) > label_max:
        raise Invalid(_l("At most %(n)d characters."), code="invalid_" + name, field=name, n=label_max)
    return value


def _number(value, name: str) -> int:
    low, high = FACILITY_NUMBERS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_l("Enter a whole number."), code="invalid_" + name, field=name)
    if not low <= value <= high:
        raise Invalid(
            _l("Enter a number from %(low)d to %(high)d."), code="invalid_" + name, field=name, low=low, high=high
        )
    return value


def clean_timezone(value) -> str:
    value = _text(value, "timezone", 64)
    if not timeutil.is_valid_zone(value) or "/" not in value and value != "UTC":
        raise Invalid(
            _l("Unknown time zone; use a name like Asia/Shanghai."), code="invalid_timezone", field="timezone"
        )
    return value


def clean_venue(values: dict) -> dict:
    return {
        "name": _text(values.get("name"), "name", 120),
        "address": _text(values.get("address"), "address", 255, required=False),
        "timezone": clean_timezone(values.get("timezone") or timeutil.DEFAULT_TIMEZONE),
    }


def venue_problems(values: dict) -> list[DomainError]:
    """Every problem of the venue fields given, at once (clean_venue stops at the first): a form
    shows them all in one submit. Empty when clean_venue would accept these fields."""
    checks = {
        "name": lambda v: _text(v, "name", 120),
        "address": lambda v: _text(v, "address", 255, required=False),
        "timezone": lambda v: clean_timezone(v or "Asia/Shanghai"),
    }
    return _problems((checks[name], value) for name, value in values.items() if name in checks)


def facility_problems(values: dict) -> list[DomainError]:
    """Every problem of the facility settings given, at once (clean_facility stops at the first):
    each setting checked on its own. Empty when clean_facility would accept these settings."""
    return _problems(
        ((lambda v, n=name: clean_facility({n: v}, partial=True)), value) for name, value in values.items()
    )


def _problems(checks) -> list[DomainError]:
    out = []
    for check, value in checks:
        try:
            check(value)
        except DomainError as err:
            out.append(err)
    return out


def clean_hours(week) -> dict[int, list[tuple[int, int]]]:
    try:
        return hours_rules.check_week(week)
    except hours_rules.HoursError as err:
        raise Invalid(err.message, code="invalid_hours", field="hours") from None


def clean_facility(values: dict, partial: bool = False) -> dict:
    """The facility settings in `values`, checked; with partial=False, defaults fill the gaps."""
    values = dict(values) if partial else {**DEFAULTS, **values}
    out = {}
    if "name" in values or not partial:
        out["name"] = _text(values.get("name"), "name", 120)
    if "kind" in values or not partial:
        if values.get("kind") not in KINDS:
            raise Invalid(_l("Choose a kind of facility."), code="invalid_kind", field="kind")
        out["kind"] = values["kind"]
    for name in FACILITY_NUMBERS:
        if name in values:
            out[name] = _number(values[name], name)
    if out.get("slot_minutes", 5) % 5:
        raise Invalid(
            _l("The slot length must be a multiple of 5 minutes."), code="invalid_slot_minutes", field="slot_minutes"
        )
    if "requires_approval" in values:
        if not isinstance(values["requires_approval"], bool):
            raise Invalid(_l("Choose yes or no."), code="invalid_requires_approval", field="requires_approval")
        out["requires_approval"] = values["requires_approval"]
    if "allocation" in values:
        if values["allocation"] not in ALLOCATIONS:
            raise Invalid(_l("Choose first come or a draw."), code="invalid_allocation", field="allocation")
        out["allocation"] = values["allocation"]
    if "description" in values:
        out["description"] = _text(values["description"], "description", 2000, required=False)
    if "hours" in values:
        out["hours"] = clean_hours(values["hours"])
    return out


def clean_notice(on_affected: str, notice) -> str | None:
    if on_affected not in ON_AFFECTED:
        raise Invalid(_l("Choose what happens to the bookings."), code="invalid_on_affected", field="on_affected")
    if on_affected != "cancel":
        return None
    notice = notice.strip() if isinstance(notice, str) else ""
    if not notice:
        raise Invalid(
            _l("Please give a reason (the workers affected will see it)."), code="reason_required", field="notice"
        )
    if len(notice) > NOTICE_MAX:
        raise Invalid(_l("The reason is too long (at most 255 characters)."), code="invalid_reason", field="notice")
    return notice


# --- reading ---------------------------------------------------------------------------------


def overview(user) -> list[tuple[object, list[Venue]]]:
    """The hosts the user administers, each with its venues (and their facilities)."""
    from ..organizations.models import Organization

    hosts = sorted(scope.admin_hosts(user)) if user.has_role("host_admin") else []
    out = []
    for host_id in hosts:
        venues = list(db.session.scalars(select(Venue).where(Venue.host_id == host_id).order_by(Venue.id)))
        out.append((db.session.get(Organization, host_id), venues))
    if not out:
        scope.require_district(user)
    return out


def week_of(facility: Facility) -> dict[int, list[tuple[int, int]]]:
    week: dict = {d: [] for d in range(7)}
    for h in facility.hours:
        week[h.weekday].append((h.opens_minute, h.closes_minute))
    return week


def facility_snapshot(facility: Facility) -> dict:
    return {
        **audit.snapshot(facility, FACILITY_FIELDS),
        "hours": {d: hours_rules.format_day(p) for d, p in week_of(facility).items() if p},
    }


def _rules(facility: Facility, values: dict, tz: str | None = None) -> rules.SlotRules:
    week = values.get("hours", week_of(facility))
    settings = SimpleNamespace(**{name: values.get(name, getattr(facility, name)) for name in rules.SETTINGS})
    return rules.rules_of(
        settings, tz or facility.venue.timezone, [(d, o, c) for d in sorted(week) for o, c in week[d]]
    )


def _facility_hits(facility: Facility, values: dict, now: datetime, tz: str | None = None) -> list:
    return impact.hits(
        facility.id,
        _rules(facility, values, tz),
        values.get("capacity", facility.capacity),
        values.get("active", facility.active),
        now,
    )


# --- the flow every change that may hit bookings follows -------------------------------------


def _cancel(admin, hit_list, notice: str, now: datetime) -> dict:
    from ..reservations import services as reservations

    out = {}
    for h in hit_list:
        try:
            reservations.host_cancel(admin, h.reservation.id, notice, now)
            out[h.reservation.id] = None
        except DomainError as err:
            out[h.reservation.id] = err.code
    return out


class _NotApplied(Exception):
    """Rolls _change's write transaction back when the re-plan finds bookings in the way."""


def _change(admin, load, plan, apply, on_affected: str, notice, now: datetime, facility_ids) -> Outcome:
    """Plan, ask, cancel if told to, then apply in one write transaction, re-planned inside it.

    `load()` returns the target in scope, `plan(target)` the hits, `apply(target)` changes it
    (and records the audit entry). Cancellations are their own use cases (host_cancel), before
    the change, so a booking that arrives meanwhile is caught by the second plan.
    `facility_ids()` names the facilities whose slots the change may move: their rules version
    is raised first, which serializes the change with their bookings (facilities.versions).
    """
    notice = clean_notice(on_affected, notice)
    target = load()
    planned = plan(target)
    if planned and on_affected == "ask":
        return Outcome(target, applied=False, hits=planned)
    cancelled = _cancel(admin, planned, notice, now) if on_affected == "cancel" else {}
    try:
        with write_transaction():
            change_rules(facility_ids())
            target = load()
            fresh = plan(target)
            if any(h.blocking for h in fresh) or (fresh and on_affected == "ask"):
                raise _NotApplied()  # not an error: an answer, but the raised rules versions roll back
            apply(target)
    except _NotApplied:
        return Outcome(target, applied=False, hits=fresh, cancelled=cancelled)
    return Outcome(target, applied=True, hits=fresh, cancelled=cancelled)


# --- venues ----------------------------------------------------------------------------------


def create_venue(admin, host_id: int, values: dict, now: datetime | None = None) -> Venue:
    """A host admin adds a venue; a district admin may set up any organization as a host this way."""
    clean = clean_venue(values)
    with write_transaction():
        host = scope.host_for(admin, host_id)
        venue = Venue(host_id=host.id, created_at=now or timeutil.utcnow(), **clean)
        db.session.add(venue)
        audit.record(admin, "venue.create", "venue", venue, host.id, after=clean, now=now)
    return venue


def change_venue(
    admin, venue_id: int, values: dict, on_affected: str = "ask", notice=None, now: datetime | None = None
) -> Outcome:
    """Rename, move or change the time zone; a new zone moves every facility's local grid."""
    now = now or timeutil.utcnow()
    clean = clean_venue(values)

    def plan(venue):
        if clean["timezone"] == venue.timezone:
            return []
        return [h for f in venue.facilities for h in _facility_hits(f, {}, now, tz=clean["timezone"])]

    def apply(venue):
        before = audit.snapshot(venue, VENUE_FIELDS)
        for name, value in clean.items():
            setattr(venue, name, value)
        audit.record(admin, "venue.change", "venue", venue.id, venue.host_id, before=before, after=clean, now=now)

    return _change(
        admin,
        lambda: scope.venue_for(admin, venue_id),
        plan,
        apply,
        on_affected,
        notice,
        now,
        lambda: venue_facility_ids(venue_id),
    )


# --- facilities ------------------------------------------------------------------------------


def _set_hours(facility: Facility, week: dict) -> None:
    facility.hours = [
        OpeningHours(weekday=d, opens_minute=o, closes_minute=c) for d in sorted(week) for o, c in week[d]
    ]


def create_facility(admin, venue_id: int, values: dict, now: datetime | None = None) -> Facility:
    """A new facility, bookable at once by every enterprise whose agreement covers the host."""
    clean = clean_facility(values)
    week = clean.pop("hours")
    with write_transaction():
        venue = scope.venue_for(admin, venue_id)
        facility = Facility(venue_id=venue.id, active=True, created_at=now or timeutil.utcnow(), **clean)
        _set_hours(facility, week)
        db.session.add(facility)
        db.session.flush()
        audit.record(
            admin, "facility.create", "facility", facility.id, venue.host_id, after=facility_snapshot(facility), now=now
        )
    return facility


def change_facility(
    admin, facility_id: int, values: dict, on_affected: str = "ask", notice=None, now: datetime | None = None
) -> Outcome:
    """Change settings and hours (only the keys given). Bookings made stay as they were made."""
    now = now or timeutil.utcnow()
    clean = clean_facility(values, partial=True)
    clean.pop("active", None)
    return _change_facility(admin, facility_id, clean, "facility.change", on_affected, notice, now)


def retire_preview(admin, facility_id: int, now: datetime | None = None) -> list:
    """The bookings retiring the facility would leave behind (read only)."""
    facility = scope.facility_for(admin, facility_id)
    return _facility_hits(facility, {"active": False}, now or timeutil.utcnow()) if facility.active else []


def retire_facility(
    admin, facility_id: int, on_affected: str = "ask", notice=None, now: datetime | None = None
) -> Outcome:
    """No more bookings; those made may stay (the admin is told which) or be cancelled."""
    now = now or timeutil.utcnow()
    return _change_facility(admin, facility_id, {"active": False}, "facility.retire", on_affected, notice, now)


def reactivate_facility(
    admin, facility_id: int, on_affected: str = "keep", notice=None, now: datetime | None = None
) -> Outcome:
    now = now or timeutil.utcnow()
    return _change_facility(admin, facility_id, {"active": True}, "facility.reactivate", on_affected, notice, now)


def _change_facility(admin, facility_id, clean: dict, action: str, on_affected, notice, now) -> Outcome:
    def apply(facility):
        before = facility_snapshot(facility)
        week = clean.get("hours")
        for name, value in clean.items():
            if name != "hours":
                setattr(facility, name, value)
        if week is not None:
            _set_hours(facility, week)
        db.session.flush()
        audit.record(
            admin,
            action,
            "facility",
            facility.id,
            facility.venue.host_id,
            before=before,
            after=facility_snapshot(facility),
            now=now,
        )
        from ..waitlist.serving import serve_facility

        serve_facility(facility.id, now)  # more capacity or reopened: the lines are served now

    return _change(
        admin,
        lambda: scope.facility_for(admin, facility_id),
        lambda facility: _facility_hits(facility, clean, now),
        apply,
        on_affected,
        notice,
        now,
        lambda: [facility_id],
    )
