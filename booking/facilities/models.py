"""Venues, their bookable facilities, weekly opening hours and blackouts."""

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import DEFAULT_TIMEZONE, utcnow

KINDS = (
    "badminton",
    "basketball",
    "billiards",
    "gym",
    "reading_room",
    "table_tennis",
    "football",
    "activity_room",
    "other",
)


class Venue(db.Model):
    __tablename__ = "venues"
    __cache_scopes__ = ("facilities",)  # its readers' cached snapshots (booking/cache.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    host = relationship("Organization")
    facilities = relationship("Facility", back_populates="venue", order_by="Facility.id")


class Facility(db.Model):
    __tablename__ = "facilities"
    __cache_scopes__ = ("facilities",)  # a new one may have been cached as "not found" (booking/cache.py)
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 1440", name="slot_minutes"),
        CheckConstraint("window_days BETWEEN 0 AND 365", name="window_days"),
        CheckConstraint("window_opens_minute BETWEEN 0 AND 1439", name="window_opens_minute"),
        CheckConstraint("min_notice_minutes >= 0", name="min_notice"),
        CheckConstraint("cancel_cutoff_minutes >= 0", name="cancel_cutoff"),
        CheckConstraint("checkin_before_minutes >= 0 AND checkin_after_minutes >= 0", name="checkin_window"),
        CheckConstraint("allocation IN ('first_come','draw')", name="allocation"),
        CheckConstraint("draw_days_before BETWEEN 0 AND 365 AND draw_minute BETWEEN 0 AND 1439", name="draw_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # Slots of day D open for booking at window_opens_minute (local) on D - window_days.
    window_days: Mapped[int] = mapped_column(Integer, default=7)
    window_opens_minute: Mapped[int] = mapped_column(Integer, default=8 * 60)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=30)
    cancel_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=120)
    checkin_before_minutes: Mapped[int] = mapped_column(Integer, default=15)
    checkin_after_minutes: Mapped[int] = mapped_column(Integer, default=15)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised by every change that can move or remove slots (settings, hours, blackouts, the
    # agreements covering it). A booking compares it, under a lock, with the one it planned with.
    rules_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # first_come, or draw (摇号): requests until the draw time (draw_minute local, draw_days_before
    # the slot's day) hold nothing; then the draw allocates the places (booking/draw).
    allocation: Mapped[str] = mapped_column(String(12), default="first_come", server_default="first_come")
    draw_days_before: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    draw_minute: Mapped[int] = mapped_column(Integer, default=12 * 60, server_default="720")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    venue = relationship("Venue", back_populates="facilities")
    hours = relationship(
        "OpeningHours",
        order_by="(OpeningHours.weekday, OpeningHours.opens_minute)",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def is_court(self) -> bool:
        """Booked whole: a party of any size takes the one place."""
        return self.capacity == 1


class OpeningHours(db.Model):
    """One opening period of a weekday, in local minutes from midnight (closes may be 1440)."""

    __tablename__ = "opening_hours"
    __cache_scopes__ = ("facilities",)  # its readers' cached snapshots (booking/cache.py)
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("opens_minute >= 0 AND closes_minute <= 1440 AND closes_minute > opens_minute", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0, as date.weekday()
    opens_minute: Mapped[int] = mapped_column(Integer)
    closes_minute: Mapped[int] = mapped_column(Integer)


class Blackout(db.Model):
    """A period when a facility cannot be booked: maintenance, the host's own event."""

    __tablename__ = "blackouts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        Index("ix_blackouts_facility_period", "facility_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    starts_at = mapped_column(UTCDateTime, nullable=False)
    ends_at = mapped_column(UTCDateTime, nullable=False)
    reason: Mapped[str] = mapped_column(String(255), default="")
    # Blackouts made together as "every week for N weeks" share a series: listed and cancelled together.
    series: Mapped[str | None] = mapped_column(String(32), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
