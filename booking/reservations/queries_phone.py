"""Reads for the phone pages: my bookings by status tab, my bookings on a day's grid, badge counts.

Read-only; the use cases that change bookings stay in services.py.
"""

from datetime import datetime

from sqlalchemy import func, or_, select

from ..accounts.models import User
from ..extensions import db
from ..facilities.services import managed_host_ids
from .models import AWAITED, HOLDING, Reservation
from .queries import _FOR_DISPLAY

# My bookings' tabs: upcoming (what I still go to), then one tab per status people talk about.
TABS = ("upcoming", "pending", "confirmed", "done", "cancelled")


def _tab_filter(tab: str, now: datetime):
    future = Reservation.end_at > now
    return {
        "upcoming": (Reservation.status.in_(AWAITED), future),
        "pending": (Reservation.status == "pending", future),
        "confirmed": (Reservation.status == "confirmed", future),
        # done: used, missed, or confirmed and over
        "done": (
            or_(Reservation.status.in_(("checked_in", "no_show")), (Reservation.status == "confirmed") & ~future),
        ),
        "cancelled": (
            or_(Reservation.status.in_(("cancelled", "rejected")), (Reservation.status == "pending") & ~future),
        ),
    }[tab]


def my_bookings(user, tab: str, now: datetime, limit: int = 50) -> list[Reservation]:
    stmt = select(Reservation).options(*_FOR_DISPLAY).where(Reservation.user_id == user.id, *_tab_filter(tab, now))
    if tab in ("upcoming", "pending", "confirmed"):
        stmt = stmt.order_by(Reservation.start_at, Reservation.id)
    else:
        stmt = stmt.order_by(Reservation.start_at.desc(), Reservation.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))


def tab_counts(user, now: datetime) -> dict[str, int]:
    """How many bookings wait in the tabs that call for attention (upcoming ones)."""
    return {
        tab: db.session.scalar(
            select(func.count(Reservation.id)).where(Reservation.user_id == user.id, *_tab_filter(tab, now))
        )
        or 0
        for tab in ("pending", "confirmed")
    }


def mine_between(user, facility_id: int, start: datetime, end: datetime) -> dict[datetime, Reservation]:
    """My live bookings of a facility starting in [start, end), by start: marked on the day grid."""
    rows = db.session.scalars(
        select(Reservation).where(
            Reservation.user_id == user.id,
            Reservation.facility_id == facility_id,
            Reservation.start_at >= start,
            Reservation.start_at < end,
            Reservation.status.in_(HOLDING),
        )
    )
    return {r.start_at: r for r in rows}


def pending_count(staff) -> int:
    """Bookings waiting for this staff's decision (the badge on 审批)."""
    hosts = managed_host_ids(staff)
    if not hosts:
        return 0
    return (
        db.session.scalar(
            select(func.count(Reservation.id)).where(Reservation.host_id.in_(hosts), Reservation.status == "pending")
        )
        or 0
    )


def join_request_count(admin) -> int:
    """Workers waiting for this enterprise admin's approval (the badge on 成员)."""
    orgs = admin.org_ids("enterprise_admin")
    if not orgs:
        return 0
    return (
        db.session.scalar(select(func.count(User.id)).where(User.enterprise_id.in_(orgs), User.status == "pending"))
        or 0
    )
