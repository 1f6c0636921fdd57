"""Bookings whose check-in window has closed give their places back (the release-no-shows job)."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from .. import timeutil
from ..database import write_transaction
from ..extensions import db
from ..facilities.models import Facility
from ..notifications.services import notify
from ..organizations.models import Organization
from ..quotas import services as quotas
from ..quotas.models import NoShowPolicy, Suspension
from . import hooks
from .decisions import give_back
from .models import AWAITED, Reservation


def release_no_shows(now: datetime | None = None, limit: int = 1000, facility_id: int | None = None) -> dict:
    """Bookings whose check-in window has closed give their places back.

    Confirmed and not checked in → no_show (the quota stays used; the host's no-show policy may
    suspend the worker). Still pending (never approved) → cancelled, quota given back.
    Idempotent and safe to run twice at once: each row changes only by a guarded UPDATE.
    """
    now = now or timeutil.utcnow()
    done = {"no_show": 0, "expired": 0}
    with write_transaction():
        query = (
            select(Reservation.id, Reservation.status, Reservation.start_at, Facility.checkin_after_minutes)
            .join(Facility, Facility.id == Reservation.facility_id)
            .where(Reservation.status.in_(AWAITED), Reservation.start_at < now)
        )
        if facility_id is not None:
            query = query.where(Reservation.facility_id == facility_id)
        candidates = db.session.execute(query.order_by(Reservation.start_at).limit(limit)).all()
        for rid, status, start_at, after in candidates:
            if start_at + timedelta(minutes=after) >= now:
                continue
            new = "no_show" if status == "confirmed" else "cancelled"
            if not _claim(rid, status, new, now):
                continue  # another run got there first
            r = db.session.get(Reservation, rid)
            give_back(r, refund_quota=(new == "cancelled"))
            hooks.place_freed(r.facility_id, r.start_at, now)  # a line still open there ends (started)
            if new == "no_show":
                notify(r.user_id, "no_show", {}, reservation_id=r.id, now=now)
                _apply_no_show_policy(r.user_id, r.host_id, now)
                done["no_show"] += 1
            else:
                done["expired"] += 1
    return done


def _claim(reservation_id: int, status: str, new: str, now: datetime) -> bool:
    """The guard: the row changes only if its status is still the one read (else another run
    changed it first, and gave its places back)."""
    return (
        db.session.execute(
            update(Reservation)
            .where(Reservation.id == reservation_id, Reservation.status == status)
            .values(
                status=new,
                updated_at=now,
                reason=None if new == "no_show" else "not_approved_in_time",
                cancelled_at=None if new == "no_show" else now,
            )
        ).rowcount
        == 1
    )


def _apply_no_show_policy(user_id: int, host_id: int, now) -> Suspension | None:
    """After a no-show: suspend the worker at that host when they reached the host's limit.

    Runs inside the caller's transaction. Returns the new suspension, if any.
    """
    policy = db.session.get(NoShowPolicy, host_id)
    if policy is None or policy.suspend_days == 0 or quotas.active_suspension(user_id, host_id, now):
        return None
    since = now - timedelta(days=policy.within_days)
    last = db.session.scalar(
        select(Suspension.ends_at)
        .where(Suspension.user_id == user_id, Suspension.host_id == host_id)
        .order_by(Suspension.ends_at.desc())
        .limit(1)
    )
    if last and last > since:
        since = last  # no-shows already punished don't count twice
    count = db.session.scalar(
        select(func.count(Reservation.id)).where(
            Reservation.user_id == user_id,
            Reservation.host_id == host_id,
            Reservation.status == "no_show",
            Reservation.start_at >= since,
            Reservation.start_at <= now,
        )
    )
    if count < policy.no_show_limit:
        return None
    suspension = Suspension(
        user_id=user_id,
        host_id=host_id,
        starts_at=now,
        ends_at=now + timedelta(days=policy.suspend_days),
        no_shows=count,
    )
    db.session.add(suspension)
    host = db.session.get(Organization, host_id)
    notify(
        user_id,
        "suspended",
        {
            "n": count,
            "host": host.name if host else "",
            "until": timeutil.isoformat_local(suspension.ends_at, current_app.config["DEFAULT_TIMEZONE"])[:10],
        },
        now=now,
    )
    return suspension
