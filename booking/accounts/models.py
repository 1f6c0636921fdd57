"""People, their roles (each scoped to one organization) and their API tokens."""

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

STATUSES = ("pending", "active", "rejected", "disabled")
ROLES = ("district_admin", "host_admin", "host_staff", "enterprise_admin")


class RoleChecks:
    """Role questions, for the signed-in User and for an API request's Principal alike.

    A host admin is also staff: org_ids("host_staff") includes it, so nobody holds both grants.
    """

    def org_ids(self, role: str) -> set[int]:
        """Organizations where this person holds `role`."""
        wanted = {role, "host_admin"} if role == "host_staff" else {role}
        return {g.organization_id for g in self.grants if g.role in wanted}

    def has_role(self, role: str) -> bool:
        return bool(self.org_ids(role))

    @property
    def is_worker(self) -> bool:
        return self.enterprise_id is not None and self.status == "active"


class User(RoleChecks, UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("status IN ('pending','active','rejected','disabled')", name="status"),
        CheckConstraint("length(username) >= 3", name="username_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    decided_at = mapped_column(UTCDateTime)

    enterprise = relationship("Organization", foreign_keys=[enterprise_id])
    grants = relationship("RoleGrant", back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    # The sign-in (UserSession) this object was loaded for; not a column. Flask-Login keeps
    # get_id() in the session cookie and the remember cookie, so each sign-in has its own.
    session_token = None

    @property
    def is_active(self) -> bool:  # Flask-Login: only active accounts may sign in
        return self.status == "active"

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("a user signs in through accounts.sessions.start()")
        return self.session_token


class RoleGrant(db.Model):
    __tablename__ = "role_grants"
    __table_args__ = (
        CheckConstraint("role IN ('district_admin','host_admin','host_staff','enterprise_admin')", name="role"),
        UniqueConstraint("user_id", "role", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)

    user = relationship("User", back_populates="grants")
    organization = relationship("Organization")


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a leaked database leaks no tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(60), default="api")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    revoked_at = mapped_column(UTCDateTime)

    user = relationship("User")


class UserSession(db.Model):
    """One sign-in on one device; its token (only the SHA-256 is stored) is what the cookies carry.

    Ending it (sign-out, password change, role revocation, disabling) kills the session cookie
    and the remember cookie of that sign-in, wherever copies of them are.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    ended_at = mapped_column(UTCDateTime)


class LoginAttempt(db.Model):
    """Sign-in attempts per account and fixed time window, raised by one guarded upsert."""

    __tablename__ = "login_attempts"
    __table_args__ = (CheckConstraint("n >= 0", name="n"),)

    account_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_seconds: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, index=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
