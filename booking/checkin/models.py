"""Every scan at the door, logged with its result."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

RESULTS = ("ok", "already_checked_in", "too_early", "too_late", "not_approved", "cancelled",
           "wrong_host", "invalid")


class CheckinEvent(db.Model):
    __tablename__ = "checkin_events"
    __table_args__ = (
        CheckConstraint("result IN ('ok','already_checked_in','too_early','too_late','not_approved',"
                        "'cancelled','wrong_host','invalid')", name="result"),
        UniqueConstraint("staff_id", "nonce"),  # a retried scan with the same nonce is one scan
        Index("ix_checkin_events_reservation", "reservation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scanned_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    result: Mapped[str] = mapped_column(String(20))
    device: Mapped[str] = mapped_column(String(120), default="")
    nonce: Mapped[str | None] = mapped_column(String(64))


class SigningKey(db.Model):
    """A host's Ed25519 public key for QR tokens; the private half never enters the database."""
    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[int] = mapped_column(unique=True)  # 32-bit id carried in every token
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, base64url
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    retired_at = mapped_column(UTCDateTime)  # no longer signs; still verifies
