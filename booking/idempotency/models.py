"""Idempotency keys: the first answer to a state-changing call, kept 24 h per (caller, key)."""

from sqlalchemy import CheckConstraint, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class IdempotencyKey(db.Model):
    """One claimed key. Its life: claimed (in progress) → outcome recorded by the use case's own
    transaction (what it wrote) → answer stored (status and body, replayed byte for byte)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("caller", "idem_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),  # the purge job
        CheckConstraint("status_code IS NULL OR (status_code >= 100 AND status_code <= 599)", name="status_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(40), nullable=False)  # "user:<id>"
    idem_key: Mapped[str] = mapped_column(String(64), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 of method, path, body
    created_at = mapped_column(UTCDateTime, nullable=False)  # first claim: the 24 h run from here
    claimed_at = mapped_column(UTCDateTime, nullable=False)  # the current attempt's lease and fence
    outcome: Mapped[str | None] = mapped_column(String(80))  # "reservations:12": what was committed
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(2000))
    flashes: Mapped[str | None] = mapped_column(Text)  # web answers: the messages to show again (JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
