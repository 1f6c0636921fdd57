"""A per-process cache of slow-changing settings, exact across processes.

The hot paths (API authentication, availability, booking) read the same few rows again and
again: who a token belongs to, a facility's settings and hours, which agreement covers an
enterprise. Those rows change rarely, so each process keeps what it read under the current
value of one *settings token* stored in the database. Every ORM flush that touches a watched
table writes a new random token in the same transaction; a transaction reads the token once
(one tiny query) and uses only entries made under it. So a change is seen by every process from
its commit on. Entries are immutable values (snapshots, rows), never ORM objects.
"""
import secrets
from collections import OrderedDict

from flask import g, has_app_context
from sqlalchemy import String, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db

MAX_ENTRIES = 20000


class SettingsToken(db.Model):
    __tablename__ = "settings_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


_TOKEN = select(SettingsToken.token).where(SettingsToken.id == 1)
# The same SQL on SQLite and PostgreSQL; an upsert, so two first writers cannot collide.
_BUMP = text("INSERT INTO settings_token (id, token) VALUES (1, :token) "
             "ON CONFLICT (id) DO UPDATE SET token = excluded.token")
_entries: "OrderedDict[tuple, object]" = OrderedDict()
_WATCHED: tuple = ()


def _watched() -> tuple:
    from .accounts.models import ApiToken, RoleGrant, User
    from .checkin.models import SigningKey
    from .facilities.models import Facility, OpeningHours, Venue
    from .organizations.models import Organization
    from .quotas.models import NoShowPolicy, SharingAgreement, Suspension
    return (ApiToken, RoleGrant, User, Facility, OpeningHours, Venue, Organization, SharingAgreement,
            NoShowPolicy, Suspension, SigningKey)


@event.listens_for(Session, "after_flush")
def _bump_on_settings_change(session, _context):
    global _WATCHED
    if not _WATCHED:
        _WATCHED = _watched()
    if any(isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        bump(session.connection())


def bump(conn=None) -> None:
    """Write a new settings token in the current transaction. ORM flushes call it on their own;
    a Core write to a watched table must call it itself."""
    conn = conn or db.session.connection()
    token = secrets.token_hex(16)
    conn.execute(_BUMP, {"token": token})
    if has_app_context():
        g._settings_token = (conn, token)


def remember_token(token: str | None) -> None:
    """A settings token read along with something else, in the current transaction."""
    from .database import connection
    g._settings_token = (connection(), token)


def _token(conn) -> str | None:
    seen = g.get("_settings_token")
    if seen is None or seen[0] is not conn:
        seen = g._settings_token = (conn, conn.execute(_TOKEN).scalar())
    return seen[1]


def cached(kind: str, key: tuple, load):
    """`load()` once per settings token, per process; without a token (a new database), always."""
    from .database import connection
    conn = connection()
    token = _token(conn)
    if token is None:
        return load()
    full = (conn.engine.url.render_as_string(), token, kind, key)
    try:
        value = _entries[full]
        _entries.move_to_end(full)
        return value
    except KeyError:
        value = _entries[full] = load()
        if len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
        return value
