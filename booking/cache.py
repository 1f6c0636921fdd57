"""A per-process cache of slow-changing settings, exact across processes.

The hot paths (API authentication, availability, booking) read the same few rows again and
again: who a token belongs to, a facility's settings and hours, which agreement covers an
enterprise, a worker's suspensions. Those rows change rarely, so each process keeps what it
read, under the token of the *scope* the rows belong to:

    facilities   facility snapshots (facilities, venues, opening_hours, organizations)
    agreements   the agreement in force (sharing_agreements and their facilities, organizations)
    suspensions  a worker's suspensions at a host

Each scope has a row in `cache_scopes` holding a random token. An ORM flush that changes what
a scope's readers read writes a new token for that scope, in the same transaction; a
transaction reads every scope's token once and uses only entries made under the current token
of their scope. So a change is seen by every process from its commit on, and only the entries
of its own scope are reloaded. An API request reads the tokens in the same statement that
reads its caller (token_columns(), accounts/principal.py): no query of its own.

Who a bearer token speaks for is not cached: that indexed read is needed anyway to carry the
tokens, so caching it would save nothing, and sign-ins, revocations, role and language
changes then write no token at all. Writers of different scopes never queue on the same token
row. Entries are immutable values (snapshots, rows), never ORM objects.
"""

import secrets
from collections import OrderedDict

from flask import g, has_app_context, has_request_context
from sqlalchemy import String, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .database import connection, fetch
from .extensions import db

MAX_ENTRIES = 20000
SCOPES = ("facilities", "agreements", "suspensions")
SCOPE_OF = {"facility": "facilities", "agreement": "agreements", "suspensions": "suspensions"}


class CacheScope(db.Model):
    __tablename__ = "cache_scopes"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


_TOKENS = select(CacheScope.scope, CacheScope.token)
# The same SQL on SQLite and PostgreSQL; an upsert, so two first writers cannot collide.
_BUMP = text(
    "INSERT INTO cache_scopes (scope, token) VALUES (:scope, :token) "
    "ON CONFLICT (scope) DO UPDATE SET token = excluded.token"
)
_entries: "OrderedDict[tuple, tuple]" = OrderedDict()


def _changed_scopes(session) -> set[str]:
    """The scopes whose readers read a changed row: each watched model names them itself, in
    `__cache_scopes__` (Organization, Facility, Venue, OpeningHours, SharingAgreement,
    Suspension), so this module imports no package above it."""
    scopes: set[str] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        scopes.update(getattr(type(obj), "__cache_scopes__", ()))
    return scopes


@event.listens_for(Session, "after_flush")
def _bump_on_settings_change(session, _context):
    scopes = _changed_scopes(session)
    if scopes:
        bump(*sorted(scopes), conn=session.connection())  # sorted: writers lock rows in one order


def bump(*scopes: str, conn=None) -> None:
    """Write new tokens for `scopes` in the current transaction. ORM flushes call it on their
    own; a Core write to a watched table must call it itself."""
    conn = conn or db.session.connection()
    for scope in scopes:
        conn.execute(_BUMP, {"scope": scope, "token": secrets.token_hex(16)})
    if has_app_context():
        g.pop("_cache_tokens", None)  # this transaction reads them again


def token_columns() -> list:
    """Each scope's token as a labelled scalar subquery, for a hot query to read along."""
    return [
        select(CacheScope.token).where(CacheScope.scope == scope).scalar_subquery().label("cache_" + scope)
        for scope in SCOPES
    ]


def remember_tokens(row) -> None:
    """The tokens (token_columns()) read along with something else, on the current connection."""
    g._cache_tokens = (connection(), {scope: getattr(row, "cache_" + scope) for scope in SCOPES})


def _tokens(conn) -> dict:
    """The scope tokens of this transaction; within a request, of the request (a booking's
    answer, read after its commit, needs no second look: the request is one moment)."""
    seen = g.get("_cache_tokens")
    if seen is None or (seen[0] is not conn and not has_request_context()):
        seen = g._cache_tokens = (conn, dict(fetch(_TOKENS).all()))
    return seen[1]


def last_known(kind: str, key: tuple):
    """What this process last kept for (kind, key) on this engine, whatever its token says now,
    or None: a guess to plan a read with before the tokens are read. Whoever uses it checks the
    plan against what cached() gives once they are (the entry may have been replaced since)."""
    found = _entries.get((connection().engine, kind, key))
    return None if found is None else found[1]


def cached(kind: str, key: tuple, load):
    """`load()` once per token of the kind's scope, per process and engine; without a token
    (a database whose cache_scopes rows were removed), always."""
    conn = connection()
    token = _tokens(conn).get(SCOPE_OF[kind])
    if token is None:
        return load()
    full = (conn.engine, kind, key)
    found = _entries.get(full)
    if found is not None and found[0] == token:
        _entries.move_to_end(full)
        return found[1]
    value = load()
    _entries[full] = (token, value)
    _entries.move_to_end(full)
    if len(_entries) > MAX_ENTRIES:
        _entries.popitem(last=False)
    return value
