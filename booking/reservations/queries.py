"""Reading bookings: one, the caller's lists, the staff's queue and day schedule; notifications."""

from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from .. import timeutil
from ..accounts.models import User
from ..database import write_transaction
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..facilities.models import Facility, Venue
from ..facilities.services import managed_host_ids
from .models import HOLDING, Notification, Reservation


def get_for(user: User, reservation_id: int) -> Reservation:
    """The owner's or the host staff's; to anyone else it does not exist."""
    r = db.session.get(Reservation, reservation_id)
    if r is None or (r.user_id != user.id and r.host_id not in managed_host_ids(user)):
        raise NotFound()
    return r


_FOR_DISPLAY = (
    selectinload(Reservation.facility).joinedload(Facility.venue).joinedload(Venue.host),
    selectinload(Reservation.user),
    selectinload(Reservation.enterprise),
)


def list_for(
    user: User,
    scope: str = "mine",
    status: str | None = None,
    upcoming: bool | None = None,
    now: datetime | None = None,
    limit: int = 50,
    before_id: int | None = None,
    facility_id: int | None = None,
    day_start: datetime | None = None,
    day_end: datetime | None = None,
) -> list[Reservation]:
    """The caller's own bookings, or (scope='host') those of the hosts they staff."""
    now = now or timeutil.utcnow()
    stmt = select(Reservation).options(*_FOR_DISPLAY)
    if scope == "host":
        hosts = managed_host_ids(user)
        if not hosts:
            raise Forbidden()
        stmt = stmt.where(Reservation.host_id.in_(hosts))
    else:
        stmt = stmt.where(Reservation.user_id == user.id)
    if status:
        stmt = stmt.where(Reservation.status == status)
    if facility_id:
        stmt = stmt.where(Reservation.facility_id == facility_id)
    if day_start and day_end:
        stmt = stmt.where(Reservation.start_at >= day_start, Reservation.start_at < day_end)
    if upcoming is True:
        stmt = stmt.where(Reservation.end_at > now).order_by(Reservation.start_at, Reservation.id)
    elif upcoming is False:
        stmt = stmt.where(Reservation.end_at <= now).order_by(Reservation.start_at.desc(), Reservation.id.desc())
    else:
        stmt = stmt.order_by(Reservation.id.desc())
        if before_id:
            stmt = stmt.where(Reservation.id < before_id)
    return list(db.session.scalars(stmt.limit(limit)))


def pending_queue(staff: User, limit: int = 200) -> list[Reservation]:
    hosts = managed_host_ids(staff)
    if not hosts:
        raise Forbidden()
    return list(
        db.session.scalars(
            select(Reservation)
            .options(*_FOR_DISPLAY)
            .where(Reservation.host_id.in_(hosts), Reservation.status == "pending")
            .order_by(Reservation.created_at, Reservation.id)
            .limit(limit)
        )
    )


def day_schedule(staff: User, day: date, facility_id: int | None = None) -> list[tuple[Facility, list[Reservation]]]:
    """Today's (or any day's) bookings per facility of the staff's hosts."""
    hosts = managed_host_ids(staff)
    if not hosts:
        raise Forbidden()
    facilities = list(
        db.session.scalars(select(Facility).join(Venue).where(Venue.host_id.in_(hosts)).order_by(Venue.id, Facility.id))
    )
    if facility_id:
        facilities = [f for f in facilities if f.id == facility_id]
        if not facilities:
            raise NotFound()
    if not facilities:
        return []
    # One query for all of them: from the earliest local midnight to the latest (venues may
    # differ in time zone), then each booking is kept only on its own venue's local day.
    bounds = {f.id: timeutil.local_day_bounds(day, f.venue.timezone) for f in facilities}
    rows = db.session.scalars(
        select(Reservation)
        .options(*_FOR_DISPLAY)
        .where(
            Reservation.facility_id.in_(list(bounds)),
            Reservation.start_at >= min(b[0] for b in bounds.values()),
            Reservation.start_at < max(b[1] for b in bounds.values()),
            Reservation.status.in_((*HOLDING, "no_show")),
        )
        .order_by(Reservation.start_at, Reservation.id)
    )
    by_facility: dict[int, list[Reservation]] = {f.id: [] for f in facilities}
    for r in rows:
        start, end = bounds[r.facility_id]
        if start <= r.start_at < end:
            by_facility[r.facility_id].append(r)
    return [(f, by_facility[f.id]) for f in facilities]


# --- notifications ------------------------------------------------------------------------


def notifications_for(user: User, limit: int = 30) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(limit)
        )
    )


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_notifications_read(user: User, now: datetime | None = None) -> None:
    with write_transaction():
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=now or timeutil.utcnow())
        )
