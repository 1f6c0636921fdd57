"""Reservations and the per-slot load counter that keeps a facility within capacity."""

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..notifications.models import Notification  # the in-app list: defined with the outbox
from ..timeutil import utcnow

STATUSES = ("pending", "confirmed", "checked_in", "rejected", "cancelled", "no_show")
# Statuses that occupy a place in the facility; no_show gives its place back.
HOLDING = ("pending", "confirmed", "checked_in")
# Holding a place with nobody checked in yet: may still be cancelled, or become a no-show.
AWAITED = ("pending", "confirmed")
# Statuses that consume the enterprise's quota (product.md, rule 2).
QUOTA_CONSUMING = ("pending", "confirmed", "checked_in", "no_show")


class Reservation(db.Model):
    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','confirmed','checked_in','rejected','cancelled','no_show')", name="status"
        ),
        CheckConstraint("end_at > start_at", name="period"),
        CheckConstraint("party_size > 0", name="party_size"),
        CheckConstraint("places > 0 AND places <= party_size", name="places"),
        CheckConstraint("quota_minutes >= 0", name="quota_minutes"),
        Index("ix_reservations_facility_start", "facility_id", "start_at"),
        Index("ix_reservations_user_start", "user_id", "start_at"),
        # (host_id, status, start_at) first, for the staff lists; the rest makes it covering for
        # the usage reports, which then never read the table (booking.reports.queries).
        Index(
            "ix_reservations_host_status_start_cover",
            "host_id",
            "status",
            "start_at",
            "facility_id",
            "enterprise_id",
            "user_id",
            "week_start",
            "end_at",
            "places",
        ),
        Index("ix_reservations_enterprise_start", "enterprise_id", "start_at"),
        # release-no-shows looks for the few bookings still confirmed or pending after their start
        Index("ix_reservations_status_start", "status", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))  # copied for scoping
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    start_at = mapped_column(UTCDateTime, nullable=False)
    end_at = mapped_column(UTCDateTime, nullable=False)
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    places: Mapped[int] = mapped_column(Integer, default=1)  # what it holds of capacity
    status: Mapped[str] = mapped_column(String(12), default="pending")
    week_start = mapped_column(Date, nullable=False)  # ISO week (venue-local) it counts in
    quota_minutes: Mapped[int] = mapped_column(Integer, default=0)  # charged to the enterprise
    code: Mapped[str] = mapped_column(String(12), unique=True)  # short code for manual entry
    reason: Mapped[str | None] = mapped_column(String(255))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    decided_at = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_in_at = mapped_column(UTCDateTime)
    # The weekly team series it was booked in (booking.reservations.series), if any.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("reservation_series.id"), index=True)

    facility = relationship("Facility")
    user = relationship("User", foreign_keys=[user_id])
    enterprise = relationship("Organization", foreign_keys=[enterprise_id])


class ReservationSeries(db.Model):
    """An enterprise admin's weekly team booking: the same local slot every week for `weeks` weeks.
    Its occurrences are reservations with its id; pauses are the date ranges skipped."""

    __tablename__ = "reservation_series"
    __table_args__ = (
        CheckConstraint("status IN ('active','cancelled')", name="status"),
        CheckConstraint("weeks BETWEEN 1 AND 26", name="weeks"),
        Index("ix_reservation_series_enterprise", "enterprise_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    first_start_at = mapped_column(UTCDateTime, nullable=False)
    weeks: Mapped[int] = mapped_column(Integer)
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    cancelled_at = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    facility = relationship("Facility")
    occurrences = relationship("Reservation", order_by="Reservation.start_at", viewonly=True)
    pauses = relationship("SeriesPause", order_by="SeriesPause.first_day", viewonly=True)


class SeriesPause(db.Model):
    """A series paused from first_day to last_day (venue-local dates, both included)."""

    __tablename__ = "series_pauses"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("reservation_series.id", ondelete="CASCADE"), index=True)
    first_day = mapped_column(Date, nullable=False)
    last_day = mapped_column(Date, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class SlotLoad(db.Model):
    """Places held in one slot of one facility; raised only by a guarded UPDATE."""

    __tablename__ = "slot_loads"
    __table_args__ = (
        UniqueConstraint("facility_id", "start_at"),
        CheckConstraint("held >= 0", name="held"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    start_at = mapped_column(UTCDateTime, nullable=False)
    held: Mapped[int] = mapped_column(Integer, default=0)


# A notice's booking (templates/reservations/notifications.html: `n.reservation`).
Notification.reservation = relationship(Reservation)
