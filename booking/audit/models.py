"""One row per admin change or staff decision, written in the transaction of the change."""

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_host_created", "host_id", "created_at"),
        Index("ix_audit_entries_enterprise_created", "enterprise_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    # Kept when the account goes: the log outlives the people in it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # e.g. "facility.change", "reservation.approve"
    obj_type: Mapped[str] = mapped_column(String(30))
    obj_id: Mapped[int | None] = mapped_column(Integer)
    # Who may read the entry: the host's admins, the enterprise's admins (and the district).
    host_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    before = mapped_column(JSON)
    after = mapped_column(JSON)

    actor = relationship("User")
