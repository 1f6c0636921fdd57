"""Draws (摇号) and the applications to them: one draw per facility slot whose allocation is draw."""

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

DRAW_STATUSES = ("open", "running", "done")
APPLICATION_STATUSES = ("applied", "won", "waitlisted", "refused", "cancelled")


class Draw(db.Model):
    __tablename__ = "draws"
    __table_args__ = (
        CheckConstraint("status IN ('open','running','done')", name="status"),
        CheckConstraint("status <> 'done' OR result IS NOT NULL", name="result"),
        # One draw per slot: the first application creates it (a second creator waits, then finds it).
        Index("ux_draws_slot", "facility_id", "start_at", unique=True),
        Index("ix_draws_status_draw_at", "status", "draw_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    start_at = mapped_column(UTCDateTime, nullable=False)
    end_at = mapped_column(UTCDateTime, nullable=False)
    date = mapped_column(Date, nullable=False)  # the slot's local day
    draw_at = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="open")
    seed: Mapped[str] = mapped_column(String(64))  # hex; shown only once the draw has run
    seed_sha256: Mapped[str] = mapped_column(String(64))  # published when applications open
    algorithm: Mapped[str] = mapped_column(String(40))
    # The published input and outcome: applications, usage, shares, capacity, order, winners, refused.
    result = mapped_column(JSON)
    ran_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    facility = relationship("Facility")


class Application(db.Model):
    __tablename__ = "draw_applications"
    __table_args__ = (
        CheckConstraint("status IN ('applied','won','waitlisted','refused','cancelled')", name="status"),
        CheckConstraint("party_size > 0 AND places > 0 AND places <= party_size", name="places"),
        CheckConstraint("status <> 'won' OR reservation_id IS NOT NULL", name="won"),
        Index("ix_draw_applications_draw", "draw_id", "status", "id"),
        Index("ix_draw_applications_user", "user_id", "id"),
        # One live application per worker and draw.
        Index(
            "ux_draw_applications_active",
            "draw_id",
            "user_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    places: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="applied")
    reason: Mapped[str | None] = mapped_column(String(40))  # refused: the booking refusal's code
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id", ondelete="SET NULL"))
    waitlist_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    draw = relationship("Draw")
