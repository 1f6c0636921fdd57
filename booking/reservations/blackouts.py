"""Blackouts: host staff close a facility for a while (maintenance, the host's own event).

Here with the reservations, because what a blackout does is about the bookings it hits.

Creating one never cancels bookings by itself: it returns the bookings the period now
overlaps, and the staff decide: cancel them (each with a notice to the worker) or keep them
(recorded in the audit log, and shown on the worker's booking page).
"""

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import timeutil
from ..audit import services as audit
from ..audit.models import AuditEntry
from ..database import write_transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities.models import Blackout, Facility, Venue
from ..facilities.services import managed_host_ids
from ..facilities.versions import change_rules
from . import hooks
from .decisions import host_cancel
from .models import AWAITED, Reservation

MAX_WEEKS = 52
MAX_REASON = 255
MAX_LENGTH = timedelta(days=366)
BLACKOUT_FIELDS = ("starts_at", "ends_at", "reason")


def managed_facilities(staff) -> list[Facility]:
    """Every facility of the hosts the staff member works for (inactive ones too)."""
    hosts = managed_host_ids(staff)
    if not hosts:
        raise Forbidden()
    return list(
        db.session.scalars(select(Facility).join(Venue).where(Venue.host_id.in_(hosts)).order_by(Venue.id, Facility.id))
    )


def managed_facility(staff, facility_id: int) -> Facility:
    facility = db.session.get(Facility, facility_id)
    if facility is None or facility.venue.host_id not in managed_host_ids(staff):
        raise NotFound()
    return facility


def _managed_blackout(staff, blackout_id: int) -> tuple[Facility, Blackout]:
    blackout = db.session.get(Blackout, blackout_id)
    if blackout is None:
        raise NotFound()
    return managed_facility(staff, blackout.facility_id), blackout


def upcoming(staff, facility_id: int, now: datetime | None = None) -> tuple[Facility, list[Blackout]]:
    """The facility and its blackouts that have not ended yet, soonest first."""
    now = now or timeutil.utcnow()
    facility = managed_facility(staff, facility_id)
    rows = list(
        db.session.scalars(
            select(Blackout)
            .where(Blackout.facility_id == facility.id, Blackout.ends_at > now)
            .order_by(Blackout.starts_at, Blackout.id)
        )
    )
    return facility, rows


def _affected(facility_id: int, starts_at: datetime, ends_at: datetime) -> list:
    # Those a blackout can still take away: holding a place, nobody checked in yet.
    return list(
        db.session.scalars(
            select(Reservation)
            .where(
                Reservation.facility_id == facility_id,
                Reservation.status.in_(AWAITED),
                Reservation.start_at < ends_at,
                Reservation.end_at > starts_at,
            )
            .order_by(Reservation.start_at, Reservation.id)
        )
    )


def affected(staff, blackout_id: int) -> tuple[Facility, Blackout, list]:
    """A blackout, its facility, and the bookings it (or its weekly series) overlaps that still
    hold their place."""
    facility, blackout = _managed_blackout(staff, blackout_id)
    return facility, blackout, _affected_by_all(series_of(blackout))


def series_of(blackout: Blackout) -> list[Blackout]:
    """The blackout and the others made with it as one weekly series."""
    if not blackout.series:
        return [blackout]
    return list(
        db.session.scalars(select(Blackout).where(Blackout.series == blackout.series).order_by(Blackout.starts_at))
    )


def _affected_by_all(rows: list[Blackout]) -> list:
    seen, out = set(), []
    for b in rows:
        for r in _affected(b.facility_id, b.starts_at, b.ends_at):
            if r.id not in seen:
                seen.add(r.id)
                out.append(r)
    return sorted(out, key=lambda r: (r.start_at, r.id))


def _clean_reason(reason) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid(
            _l("Please give a reason (the workers affected will see it)."), code="reason_required", field="reason"
        )
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise Invalid(_l("The reason is too long (at most 255 characters)."), code="invalid_reason", field="reason")
    return reason


def create_blackout(
    staff, facility_id: int, starts_at: datetime, ends_at: datetime, reason, now: datetime | None = None, weeks=1
) -> tuple[Blackout, list]:
    """Close a facility from starts_at to ends_at (naive values are venue-local), once or every
    week for `weeks` weeks (same local wall time each week: a weekly class, say).

    Returns the (first) blackout and the pending/confirmed bookings they overlap; those are
    left as they are, for the staff to cancel with a notice (cancel_affected).
    """
    now = now or timeutil.utcnow()
    reason = _clean_reason(reason)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise Invalid(_l("Repeat it for 1 to %(n)d weeks.", n=MAX_WEEKS), code="invalid_weeks", field="weeks")
    with write_transaction():
        change_rules([facility_id])  # bookings of the facility wait for (or re-plan after) this
        facility = managed_facility(staff, facility_id)
        tz = facility.venue.timezone
        starts_at, ends_at = timeutil.as_utc(starts_at, tz), timeutil.as_utc(ends_at, tz)
        if ends_at <= starts_at:
            raise Invalid(_l("The end must be after the start."), code="invalid_period", field="ends")
        if ends_at - starts_at > MAX_LENGTH:
            raise Invalid(_l("A blackout lasts at most a year."), code="invalid_period", field="ends")
        if ends_at <= now:
            raise Invalid(_l("That period is already over."), code="invalid_period", field="day")
        series = secrets.token_hex(8) if weeks > 1 else None
        local_start, local_end = timeutil.to_local(starts_at, tz), timeutil.to_local(ends_at, tz)
        rows = []
        # The same wall-clock times each week, whatever the UTC offset does meanwhile.
        for start in timeutil.weekly(starts_at, weeks, tz):
            end = start + (local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None))
            rows.append(
                Blackout(
                    facility_id=facility.id,
                    starts_at=start,
                    ends_at=end,
                    series=series,
                    reason=reason,
                    created_by_id=staff.id,
                    created_at=now,
                )
            )
        db.session.add_all(rows)
        db.session.flush()
        blackout = rows[0]
        for b in rows:
            audit.record(
                staff,
                "blackout.create",
                "blackout",
                b.id,
                facility.venue.host_id,
                after={"facility_id": facility.id, **audit.snapshot(b, BLACKOUT_FIELDS)},
                now=now,
            )
        hit = _affected_by_all(rows)
    return blackout, hit


def delete_blackout(staff, blackout_id: int) -> Facility:
    """Reopen the period; bookings cancelled because of it stay cancelled."""
    with write_transaction():
        facility, blackout = _managed_blackout(staff, blackout_id)
        audit.record(
            staff,
            "blackout.delete",
            "blackout",
            blackout.id,
            facility.venue.host_id,
            before={"facility_id": facility.id, **audit.snapshot(blackout, BLACKOUT_FIELDS)},
        )
        db.session.delete(blackout)
        hooks.slots_reopened(facility.id, timeutil.utcnow())  # their lines are served now (waitlist)
    return facility


def cancel_affected(staff, blackout_id: int, reason=None, now: datetime | None = None) -> dict[int, str | None]:
    """Cancel every booking the blackout overlaps, each with a notice to its worker.

    The reason defaults to the blackout's. Each cancellation is its own use case
    (decisions.host_cancel); returns {reservation id: None (done) or error code}.
    """
    _, blackout, bookings = affected(staff, blackout_id)
    reason = _clean_reason(reason if isinstance(reason, str) and reason.strip() else blackout.reason)
    ids = [r.id for r in bookings]
    out = {}
    for rid in ids:
        try:
            host_cancel(staff, rid, reason, now)
            out[rid] = None
        except (Conflict, NotFound, Forbidden, Invalid) as err:
            out[rid] = err.code
    return out


KEEP_ACTION = "reservation.keep_in_blackout"


def keep_affected(staff, blackout_id: int, now: datetime | None = None) -> list[int]:
    """The staff keep the bookings the blackout (or its series) overlaps: each stands, and the
    decision is recorded in the audit log against the booking. Returns the ids kept."""
    now = now or timeutil.utcnow()
    with write_transaction():
        facility, blackout, bookings = affected(staff, blackout_id)
        for r in bookings:
            audit.record(
                staff,
                KEEP_ACTION,
                "reservation",
                r.id,
                r.host_id,
                r.enterprise_id,
                after={"status": r.status, "blackout_id": blackout.id, "reason": blackout.reason},
                now=now,
            )
    return [r.id for r in bookings]


def kept_ids(reservation_ids) -> set[int]:
    """Which of these bookings staff chose to keep through a blackout."""
    ids = list(reservation_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(AuditEntry.obj_id).where(
                AuditEntry.action == KEEP_ACTION, AuditEntry.obj_type == "reservation", AuditEntry.obj_id.in_(ids)
            )
        )
    )


def over_booking(reservation: Reservation) -> tuple[Blackout | None, bool]:
    """The blackout now covering a booking that still holds its place, and whether the staff
    kept the booking through it; (None, False) when the slot is not blacked out."""
    if reservation.status not in AWAITED:
        return None, False
    blackout = db.session.scalars(
        select(Blackout)
        .where(
            Blackout.facility_id == reservation.facility_id,
            Blackout.starts_at < reservation.end_at,
            Blackout.ends_at > reservation.start_at,
        )
        .order_by(Blackout.starts_at, Blackout.id)
        .limit(1)
    ).first()
    if blackout is None:
        return None, False
    return blackout, reservation.id in kept_ids([reservation.id])


def on_day(facilities, day) -> dict[int, list[Blackout]]:
    """The blackouts touching each facility's local day (one query for all)."""
    if not facilities:
        return {}
    bounds = {f.id: timeutil.local_day_bounds(day, f.venue.timezone) for f in facilities}
    rows = db.session.scalars(
        select(Blackout)
        .where(
            Blackout.facility_id.in_(list(bounds)),
            Blackout.starts_at < max(b[1] for b in bounds.values()),
            Blackout.ends_at > min(b[0] for b in bounds.values()),
        )
        .order_by(Blackout.starts_at, Blackout.id)
    )
    out: dict[int, list[Blackout]] = {f.id: [] for f in facilities}
    for b in rows:
        start, end = bounds[b.facility_id]
        if b.starts_at < end and b.ends_at > start:
            out[b.facility_id].append(b)
    return out
