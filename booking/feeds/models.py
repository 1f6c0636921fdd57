"""Calendar subscription feeds. The secret in a feed's link is an HMAC of (feed id, version):
nothing secret is stored, and regenerating (version + 1) locks the old link out at once."""

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

KINDS = ("personal", "facility", "venue")


class CalendarFeed(db.Model):
    __tablename__ = "calendar_feeds"
    __table_args__ = (
        CheckConstraint("kind IN ('personal','facility','venue')", name="kind"),
        UniqueConstraint("user_id", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer, default=0)  # facility or venue id; 0 for personal
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
