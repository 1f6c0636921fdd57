"""Waitlist entries: a worker waiting for a full slot, and each host's offer setting."""

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..notifications.models import Notification
from ..timeutil import utcnow

STATUSES = ("waiting", "offered", "booked", "expired", "skipped", "cancelled")
# Still in line: a waiting entry waits for a place, an offered one holds it (in slot_loads.held).
ACTIVE = ("waiting", "offered")
DEFAULT_OFFER_MINUTES = 15


class WaitlistEntry(db.Model):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("status IN ('waiting','offered','booked','expired','skipped','cancelled')", name="status"),
        CheckConstraint("party_size > 0 AND places > 0 AND places <= party_size", name="places"),
        CheckConstraint("end_at > start_at", name="period"),
        CheckConstraint("status <> 'offered' OR offer_expires_at IS NOT NULL", name="offer"),
        CheckConstraint("status <> 'booked' OR reservation_id IS NOT NULL", name="booked"),
        # The line of one slot, in order; and the offers that run out (the expire-offers job).
        Index("ix_waitlist_entries_slot", "facility_id", "start_at", "status", "id"),
        Index("ix_waitlist_entries_status_expires", "status", "offer_expires_at"),
        Index("ix_waitlist_entries_user", "user_id", "id"),
        # One place in a slot's line per worker.
        Index(
            "ux_waitlist_entries_active",
            "user_id",
            "facility_id",
            "start_at",
            unique=True,
            sqlite_where=text("status IN ('waiting','offered')"),
            postgresql_where=text("status IN ('waiting','offered')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    start_at = mapped_column(UTCDateTime, nullable=False)
    end_at = mapped_column(UTCDateTime, nullable=False)
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    places: Mapped[int] = mapped_column(Integer, default=1)  # what it needs (and holds when offered)
    auto_book: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    offer_expires_at = mapped_column(UTCDateTime)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(40))  # why skipped: the booking refusal's code
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    facility = relationship("Facility")
    user = relationship("User")
    reservation = relationship("Reservation")


# A waitlist notice's entry (templates/reservations/notifications.html: `n.waitlist_entry`),
# added from this side: the waitlist sits above reservations, which does not import it.
Notification.waitlist_entry = relationship(WaitlistEntry)


class WaitlistSettings(db.Model):
    """A host's waitlist setting: how long an offered place is held (default 15 min)."""

    __tablename__ = "waitlist_settings"
    __table_args__ = (CheckConstraint("offer_minutes BETWEEN 1 AND 1440", name="offer_minutes"),)

    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    offer_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_OFFER_MINUTES)
