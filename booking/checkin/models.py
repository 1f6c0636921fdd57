"""Every scan at the door, logged with its result."""

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

RESULTS = (
    "ok",
    "already_checked_in",
    "too_early",
    "too_late",
    "not_approved",
    "cancelled",
    "wrong_host",
    "invalid",
    "no_show_conflict",
)


class CheckinEvent(db.Model):
    __tablename__ = "checkin_events"
    __table_args__ = (
        CheckConstraint(
            "result IN ('ok','already_checked_in','too_early','too_late','not_approved',"
            "'cancelled','wrong_host','invalid','no_show_conflict')",
            name="result",
        ),
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
    # An offline scan synced later: the time the phone claims (scanned_at is set to it) and the
    # time the server heard of it. Both NULL for a scan made online.
    scanned_offline_at = mapped_column(UTCDateTime)
    received_at = mapped_column(UTCDateTime)


class SigningKey(db.Model):
    """A host's Ed25519 public key for QR tokens; the private half never enters the database."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[int] = mapped_column(unique=True)  # 32-bit id carried in every token
    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, base64url
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    retired_at = mapped_column(UTCDateTime)  # no longer signs; still verifies


class ScannerContact(db.Model):
    """When a scanner (one staff member on one phone) last spoke to the server: an offline scan
    it syncs later cannot be older than that, for it was online then."""

    __tablename__ = "scanner_contacts"

    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    device: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_contact_at = mapped_column(UTCDateTime, nullable=False)


class HostCheckinSetting(db.Model):
    """A host's check-in settings; a host without a row uses the defaults."""

    __tablename__ = "host_checkin_settings"
    __table_args__ = (CheckConstraint("offline_max_minutes BETWEEN 5 AND 1440", name="offline_max"),)

    host_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    offline_max_minutes: Mapped[int] = mapped_column(Integer, default=120)
