"""The outbox, the in-app list, each person's notification settings and their Web Push subscriptions."""

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

CHANNELS = ("email", "push", "wecom")
STATUSES = ("pending", "sending", "sent", "dead")


class OutboxMessage(db.Model):
    """One message for one person on one channel. Written with the change it tells about;
    claimed (pending → sending) by exactly one runner, then sent, retried or dead."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("channel IN ('email','push','wecom')", name="channel"),
        CheckConstraint("status IN ('pending','sending','sent','dead')", name="status"),
        # A reminder or digest is written once per person, channel and occasion.
        UniqueConstraint("channel", "dedupe_key"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    event: Mapped[str] = mapped_column(String(30))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"))
    context: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the event's plain values
    dedupe_key: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime, nullable=False)
    claimed_at = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    sent_at = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user = relationship("User")
    reservation = relationship("Reservation")


class NotificationSettings(db.Model):
    """A person's channels, address, reminder lead time and quiet hours (defaults when absent)."""

    __tablename__ = "notification_settings"
    __table_args__ = (
        CheckConstraint("reminder_minutes >= 0 AND reminder_minutes <= 1440", name="reminder_minutes"),
        CheckConstraint(
            "quiet_start >= 0 AND quiet_start < 1440 AND quiet_end >= 0 AND quiet_end < 1440", name="quiet_hours"
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_verified_at = mapped_column(UTCDateTime)
    email_on: Mapped[bool] = mapped_column(default=True)
    push_on: Mapped[bool] = mapped_column(default=True)
    wecom_on: Mapped[bool] = mapped_column(default=True)
    wecom_user: Mapped[str | None] = mapped_column(String(64))  # WeCom userid; the username when empty
    reminder_minutes: Mapped[int] = mapped_column(Integer, default=60)
    quiet_start: Mapped[int] = mapped_column(Integer, default=22 * 60)  # minute of the local day
    quiet_end: Mapped[int] = mapped_column(Integer, default=7 * 60)

    user = relationship("User")


class PushSubscription(db.Model):
    """A browser's Web Push subscription (its endpoint and the keys to encrypt for it)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Notification(db.Model):
    """Told to a worker in the app (written by notify() with the outbox's messages): their booking
    was approved, rejected or cancelled by the host; the waitlist served, offered, skipped them or
    their offer ran out; the draw's result."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('approved','rejected','cancelled_by_host','waitlist_booked','waitlist_offered',"
            "'waitlist_skipped','waitlist_expired','draw_won','draw_waitlisted')",
            name="kind",
        ),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"))
    # waitlist notices (booking.waitlist): the entry, and its booking when one was made
    waitlist_entry_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(255))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at = mapped_column(UTCDateTime)

    # reservation and waitlist_entry: the relationships are added by the packages that own those
    # tables (reservations/models.py, waitlist/models.py), so this leaf can be imported alone.
