"""After booking: the worker cancels; host staff approve, reject or cancel with a reason.

Each is one write transaction on the booking's locked row; a booking that stops holding its
place gives it back (and the quota, except for a no-show) in the same transaction.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from .. import timeutil
from ..accounts.models import User
from ..audit import services as audit
from ..database import lock_row, write_transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities import rules
from ..facilities.services import managed_host_ids
from ..notifications.services import notify
from ..quotas import services as quotas
from . import hooks
from .models import AWAITED, HOLDING, Reservation, SlotLoad


def give_back(reservation: Reservation, refund_quota: bool) -> None:
    """Give back the reservation's places (and quota); its status is changed by the caller."""
    c = SlotLoad.__table__.c
    db.session.execute(
        update(SlotLoad.__table__)
        .where(c.facility_id == reservation.facility_id, c.start_at == reservation.start_at)
        .values(held=c.held - reservation.places)
    )
    # The enterprise's row last, as a booking takes it (quotas.charge_enterprise).
    if refund_quota:
        quotas.refund(
            reservation.host_id,
            reservation.enterprise_id,
            reservation.user_id,
            reservation.week_start,
            reservation.quota_minutes,
        )


def _serve_line(reservation: Reservation, now: datetime) -> None:
    """The freed place goes to the slot's waitlist in this same transaction (booking.waitlist
    listens: reservations/hooks.py)."""
    hooks.place_freed(reservation.facility_id, reservation.start_at, now)


def cancel(user: User, reservation_id: int, now: datetime | None = None) -> Reservation:
    """The worker cancels their own booking, up to the cutoff; quota and place come back."""
    now = now or timeutil.utcnow()
    with write_transaction():
        r = lock_row(Reservation, reservation_id)
        if r is None or r.user_id != user.id:
            raise NotFound()
        if r.status not in AWAITED:
            raise Conflict(_l("This booking can no longer be cancelled."), code="not_cancellable")
        if not rules.can_cancel(r.start_at, now, r.facility.cancel_cutoff_minutes):
            raise Conflict(
                _l("Bookings can be cancelled up to %(hours)s before they start."),
                code="too_late_to_cancel",
                hours=_duration(r.facility.cancel_cutoff_minutes),
            )
        release(r, user.id, now)
    return r


def release(r: Reservation, by_id: int, now: datetime) -> None:
    """A worker's (or their enterprise admin's) cancel, inside the caller's write transaction on
    the locked row: places and quota come back and the freed place goes to the waitlist."""
    give_back(r, refund_quota=True)
    r.status, r.cancelled_at, r.cancelled_by_id, r.updated_at = "cancelled", now, by_id, now
    _serve_line(r, now)


def cancel_as(user: User, reservation_id: int, reason=None, now: datetime | None = None) -> Reservation:
    """A cancellation by whoever asks: the owner cancels theirs; host staff cancel with a reason."""
    r = db.session.get(Reservation, reservation_id)
    if r is not None and r.user_id != user.id and r.host_id in managed_host_ids(user):
        return host_cancel(user, reservation_id, reason, now)
    return cancel(user, reservation_id, now)


def _duration(minutes: int) -> str:
    return f"{minutes // 60}h{minutes % 60:02d}" if minutes % 60 else f"{minutes // 60}h"


def _staff_reservation(staff: User, reservation_id: int) -> Reservation:
    r = lock_row(Reservation, reservation_id)
    if r is None:
        raise NotFound()
    if r.host_id not in managed_host_ids(staff):
        if r.user_id == staff.id:
            raise Forbidden(_l("Only the host's staff can do that."))
        raise NotFound()
    return r


def _clean_reason(reason) -> str:
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise Invalid(_l("The reason must be text."), code="invalid_reason")
    reason = reason.strip()
    if len(reason) > 255:
        raise Invalid(_l("The reason is too long (at most 255 characters)."), code="invalid_reason")
    return reason


def decide(staff: User, reservation_id: int, approve: bool, reason=None, now: datetime | None = None) -> Reservation:
    """Host staff approve or reject a pending booking; a rejection gives place and quota back."""
    now = now or timeutil.utcnow()
    reason = _clean_reason(reason)
    with write_transaction():
        r = _staff_reservation(staff, reservation_id)
        if r.status != "pending":
            raise Conflict(_l("Only a pending booking can be approved or rejected."), code="not_pending")
        if approve:
            r.status = "confirmed"
        else:
            give_back(r, refund_quota=True)
            r.status, r.reason = "rejected", reason or None
            _serve_line(r, now)
        r.decided_at, r.decided_by_id, r.updated_at = now, staff.id, now
        notify(r.user_id, "approved" if approve else "rejected", {"reason": r.reason}, reservation_id=r.id, now=now)
        audit.record(
            staff,
            "reservation.approve" if approve else "reservation.reject",
            "reservation",
            r.id,
            r.host_id,
            r.enterprise_id,
            {"status": "pending"},
            {"status": r.status, "reason": r.reason},
            now=now,
        )
    return r


def decide_many(
    staff: User, reservation_ids: list[int], approve: bool, reason=None, now: datetime | None = None
) -> dict[int, str | None]:
    """Bulk approve/reject: each on its own; returns {id: None (done) or the error code}."""
    out = {}
    for rid in reservation_ids:
        try:
            decide(staff, rid, approve, reason, now)
            out[rid] = None
        except (Conflict, NotFound, Forbidden, Invalid) as err:
            out[rid] = err.code
    return out


def host_cancel(staff: User, reservation_id: int, reason, now: datetime | None = None) -> Reservation:
    """The host cancels (e.g. maintenance): always allowed before the end, quota comes back."""
    now = now or timeutil.utcnow()
    reason = _clean_reason(reason)
    if not reason:
        raise Invalid(_l("Please give the worker a reason."), code="reason_required")
    with write_transaction():
        r = _staff_reservation(staff, reservation_id)
        if r.status not in HOLDING or r.status == "checked_in":
            raise Conflict(_l("This booking can no longer be cancelled."), code="not_cancellable")
        audit.record(
            staff,
            "reservation.host_cancel",
            "reservation",
            r.id,
            r.host_id,
            r.enterprise_id,
            {"status": r.status},
            {"status": "cancelled", "reason": reason},
            now=now,
        )
        give_back(r, refund_quota=True)
        r.status, r.reason, r.cancelled_at, r.cancelled_by_id, r.updated_at = "cancelled", reason, now, staff.id, now
        _serve_line(r, now)
        notify(r.user_id, "cancelled_by_host", {"reason": reason}, reservation_id=r.id, now=now)
    return r
