"""Server-side sign-ins: a session lives until it expires or is ended, whatever cookies survive.

The session cookie and the remember cookie carry a random token per sign-in (Flask-Login's
get_id()); only its SHA-256 is stored. Loading the user checks that the sign-in is live and the
account active, so ending a sign-in here ends every copy of its cookies.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from ..database import write_transaction
from ..extensions import db
from ..timeutil import utcnow
from .models import ApiToken, User, UserSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    return current_app.config["REMEMBER_COOKIE_DURATION"] if remember else current_app.permanent_session_lifetime


def add(user: User, remember: bool, now: datetime) -> str:
    """A new sign-in row for `user` inside the caller's write transaction; its raw token."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(token),
            remember=bool(remember),
            created_at=now,
            expires_at=now + _lifetime(remember),
        )
    )
    user.session_token = token
    return token


def start(user: User, remember: bool = False) -> str:
    """Sign `user` in on this device: one new session; the token goes into the cookies."""
    with write_transaction():
        now = utcnow()
        # This person's ended and expired sign-ins are of no more use: the table stays small.
        db.session.execute(
            delete(UserSession).where(
                UserSession.user_id == user.id, or_(UserSession.ended_at.is_not(None), UserSession.expires_at <= now)
            )
        )
        token = add(user, remember, now)
    return token


def load(token: str) -> User | None:
    """The active user whose live sign-in `token` is, or None (Flask-Login's user loader)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _digest(token),
            UserSession.ended_at.is_(None),
            UserSession.expires_at > utcnow(),
            User.status == "active",
        )
    )
    if user is not None:
        user.session_token = token
    return user


def remembered(token: str | None) -> bool:
    """Whether this sign-in asked to be kept (its remember cookie)."""
    return bool(token) and bool(
        db.session.scalar(select(UserSession.remember).where(UserSession.token_hash == _digest(token)))
    )


def end(token: str | None) -> None:
    """Sign-out: end this one sign-in (its session and remember cookies stop working)."""
    if not token:
        return
    with write_transaction():
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all(user_id: int, now: datetime, api_tokens: bool = False) -> None:
    """End every sign-in of a user (and their API tokens if asked), in the caller's transaction."""
    db.session.execute(
        update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None)).values(ended_at=now)
    )
    if api_tokens:
        db.session.execute(
            update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
        )
