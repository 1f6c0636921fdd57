"""The sign-in limit per account, kept in the database so it is exact across every process.

Every attempt to sign in to one account (on the web form or POST /api/v1/auth/token, whatever
spelling of the phone number or username was typed) raises a counter per fixed time window by
one guarded upsert; the limit refuses the attempt when a counter is full. It needs no extra
server and holds for any number of app servers on one database. The per-address limit stays
with Flask-Limiter (far higher: a factory gateway hides many workers).
"""

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse_many
from sqlalchemy import delete

from ..database import GuardedCounter, write_transaction
from ..errors import DomainError
from ..extensions import db
from . import rules
from .models import LoginAttempt

_ATTEMPTS = LoginAttempt.__table__
_COUNTER = GuardedCounter(_ATTEMPTS, ("account_key", "window_seconds", "window_start"), "n")


class TooManyAttempts(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _l("Too many attempts. Please wait a moment and try again.")


def account_key(identifier: str, user_id: int | None) -> str:
    """The account an attempt is against: the user it names, else the identifier as sign-in reads it."""
    if user_id is not None:
        return f"u:{user_id}"
    ident = identifier if isinstance(identifier, str) else ""
    name = rules.normalize_phone(ident) if rules.looks_like_phone(ident) else rules.normalize_username(ident)
    return "n:" + name[:76]


def count_attempt(key: str, now: datetime) -> None:
    """Count one attempt on `key`, or TooManyAttempts (counted nowhere) if a window of the limit is full."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    items = parse_many(current_app.config["LOGIN_LIMIT_PER_USERNAME"])
    epoch = int(now.timestamp())
    # Its own transaction, committed before the caller checks the password: a wrong password
    # fails the caller's use case afterwards, and the attempt stays counted.
    with write_transaction():
        # Windows that began before the longest one could have are over: delete them as we go.
        longest = max(item.get_expiry() for item in items)
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.window_start < epoch - longest))
        for item in items:
            seconds = item.get_expiry()
            if not _COUNTER.add(
                1, item.amount, account_key=key, window_seconds=seconds, window_start=epoch - epoch % seconds
            ):
                raise TooManyAttempts()  # rolled back: a refused attempt counts in no window
