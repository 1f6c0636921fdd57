"""The dead-letter list: messages that could not be sent, seen and retried by staff (a district
admin sees all; host staff those about bookings at their hosts)."""

from datetime import datetime

from sqlalchemy import select

from .. import timeutil
from ..database import lock_row, write_transaction
from ..errors import NotFound
from ..extensions import db
from ..facilities.services import managed_host_ids
from ..notifications.models import OutboxMessage
from ..reservations.models import Reservation


def dead_letters(staff, limit: int = 100) -> list[OutboxMessage]:
    """Messages that could not be sent: all of them for a district admin; for host staff, those
    about bookings at their hosts."""
    query = select(OutboxMessage).where(OutboxMessage.status == "dead")
    if not staff.has_role("district_admin"):
        hosts = managed_host_ids(staff)
        if not hosts:
            raise NotFound()
        query = query.join(Reservation, Reservation.id == OutboxMessage.reservation_id).where(
            Reservation.host_id.in_(hosts)
        )
    return list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def retry_dead(staff, message_id: int, now: datetime | None = None) -> OutboxMessage:
    """Put a dead message back in the queue (a fresh set of attempts)."""
    now = now or timeutil.utcnow()
    if message_id not in {m.id for m in dead_letters(staff, limit=10_000)}:
        raise NotFound()
    with write_transaction():
        m = lock_row(OutboxMessage, message_id)
        if m is None or m.status != "dead":
            raise NotFound()
        m.status, m.attempts, m.next_attempt_at, m.claimed_by, m.claimed_at = "pending", 0, now, None, None
    return m
