"""Organizations: the federation, community and joint unions, enterprises, community centres."""

import secrets

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

KINDS = ("federation", "community_union", "joint_union", "enterprise", "community_centre")
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a WeChat group


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(8))


class Organization(db.Model):
    __tablename__ = "organizations"
    __cache_scopes__ = ("facilities", "agreements")  # host names; the union tree (booking/cache.py)
    __table_args__ = (
        CheckConstraint(
            "kind IN ('federation','community_union','joint_union','enterprise','community_centre')", name="kind"
        ),
        CheckConstraint("headcount >= 0", name="headcount"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("calendar_privacy IN ('full','enterprise','none')", name="calendar_privacy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    headcount: Mapped[int] = mapped_column(Integer, default=0)
    invite_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    # Hosts: what staff calendar feeds show of who booked: 'full', 'enterprise' or 'none'.
    calendar_privacy: Mapped[str] = mapped_column(String(10), default="enterprise", server_default="enterprise")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    parent = relationship("Organization", remote_side=[id])

    def __repr__(self):
        return f"<Organization {self.id} {self.name}>"
