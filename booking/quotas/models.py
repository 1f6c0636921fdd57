"""Sharing agreements (host <-> enterprise or a whole union) and the weekly usage counters.

The counters are changed by guarded UPDATEs inside the booking transaction, so the database,
not a count in Python, keeps an enterprise within its weekly hours and a worker within their cap.
"""

from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, Index, Integer, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

agreement_facilities = Table(
    "agreement_facilities",
    db.metadata,
    Column("agreement_id", ForeignKey("sharing_agreements.id", ondelete="CASCADE"), primary_key=True),
    Column("facility_id", ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True),
)


class SharingAgreement(db.Model):
    __tablename__ = "sharing_agreements"
    __cache_scopes__ = ("agreements",)  # with its facilities: a collection change dirties it (booking/cache.py)
    __table_args__ = (
        # Either one enterprise, or every enterprise under a community or joint union.
        CheckConstraint("(enterprise_id IS NULL) <> (group_id IS NULL)", name="party"),
        CheckConstraint("minutes_per_week IS NULL OR minutes_per_week >= 0", name="minutes"),
        CheckConstraint("bookings_per_worker IS NULL OR bookings_per_worker >= 0", name="per_worker"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    all_facilities: Mapped[bool] = mapped_column(Boolean, default=True)
    minutes_per_week = mapped_column(Integer)  # None: no enterprise-wide limit
    bookings_per_worker = mapped_column(Integer)  # None: no per-worker cap
    valid_from = mapped_column(Date, nullable=False)
    valid_until = mapped_column(Date)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    host = relationship("Organization", foreign_keys=[host_id])
    enterprise = relationship("Organization", foreign_keys=[enterprise_id])
    group = relationship("Organization", foreign_keys=[group_id])
    facilities = relationship("Facility", secondary=agreement_facilities)


class EnterpriseWeekUsage(db.Model):
    """Minutes an enterprise's bookings hold at one host in one ISO week (venue-local)."""

    __tablename__ = "enterprise_week_usage"
    __table_args__ = (
        UniqueConstraint("host_id", "enterprise_id", "week_start"),
        CheckConstraint("minutes_used >= 0", name="minutes_used"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    week_start = mapped_column(Date, nullable=False)
    minutes_used: Mapped[int] = mapped_column(Integer, default=0)


class WorkerWeekUsage(db.Model):
    """Bookings a worker holds at one host in one ISO week."""

    __tablename__ = "worker_week_usage"
    __table_args__ = (
        UniqueConstraint("host_id", "user_id", "week_start"),
        CheckConstraint("bookings >= 0", name="bookings"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week_start = mapped_column(Date, nullable=False)
    bookings: Mapped[int] = mapped_column(Integer, default=0)


class NoShowPolicy(db.Model):
    """Per host: `limit` no-shows within `days` suspends booking there for `suspend_days`."""

    __tablename__ = "no_show_policies"
    __table_args__ = (CheckConstraint("no_show_limit > 0 AND within_days > 0 AND suspend_days >= 0", name="numbers"),)

    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    no_show_limit: Mapped[int] = mapped_column(Integer, default=3)
    within_days: Mapped[int] = mapped_column(Integer, default=30)
    suspend_days: Mapped[int] = mapped_column(Integer, default=14)


class Suspension(db.Model):
    """A worker may not book at a host until `ends_at` (too many no-shows)."""

    __tablename__ = "suspensions"
    __cache_scopes__ = ("suspensions",)  # its readers' cached snapshots (booking/cache.py)
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        Index("ix_suspensions_user_host_end", "user_id", "host_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    starts_at = mapped_column(UTCDateTime, nullable=False)
    ends_at = mapped_column(UTCDateTime, nullable=False)
    no_shows: Mapped[int] = mapped_column(Integer, default=0)
