"""Claim a key, replay its first answer, record what the use case committed.

A key's row is claimed in its own short transaction before the request runs. The use case's
own transaction then records its outcome on that row (the `after_flush` hook below, which runs
only when the use case writes through the ORM; a use case that writes its object with a Core
INSERT calls `wrote()` instead: the booking), so the change and the outcome commit together or not at all. Once
the answer is built it is stored in another short transaction. A retry finds, in this order:

* the stored answer: replayed byte for byte;
* an outcome but no answer (the process died between commit and storing): the answer is
  rebuilt from the object the first attempt committed;
* neither, and the claim is fresh: another attempt is running; wait for its answer a little,
  then 409 `idempotency_in_progress`;
* neither, and the claim is stale (its process died before committing): run again.

The claim is also a fence: the outcome is recorded only while the attempt still holds the claim
(`claimed_at` unchanged), so an attempt overtaken after its lease cannot commit a second time.
"""

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, event, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..database import write_transaction
from ..dbtypes import UTCDateTime
from ..errors import BadRequest, Conflict, Invalid
from ..extensions import db
from ..timeutil import utcnow
from .models import IdempotencyKey

TTL = timedelta(hours=24)
KEY = re.compile(r"[\x20-\x7e]{1,64}")  # 1-64 printable ASCII characters
LEASE_SECONDS = 60  # an attempt owns its key this long (longer than any request may run)
WAIT_SECONDS = 10  # a duplicate sent while the first attempt runs waits this long for its answer

_t = IdempotencyKey.__table__
_INSERT = text(
    "INSERT INTO idempotency_keys (caller, idem_key, request_hash, created_at, claimed_at) "
    "VALUES (:caller, :key, :hash, :now, :now) ON CONFLICT (caller, idem_key) DO NOTHING RETURNING id"
).bindparams(bindparam("now", type_=UTCDateTime()))
_READ = select(_t).where(_t.c.caller == bindparam("caller"), _t.c.idem_key == bindparam("key"))


@dataclass(frozen=True)
class Outcome:
    """What an endpoint's use case writes, and how its answer is built from that object.

    `preload`: build the answer once inside the use case's transaction (discarding it), so that
    everything it needs is loaded before the commit and the real answer needs no query after
    it (a database outage right after the commit must not turn a done change into a 500).
    """

    model: type
    answer: Callable
    preload: bool = False


@dataclass
class Claim:
    id: int
    claimed_at: datetime
    committed: bool = False  # a transaction of this attempt wrote on the key and committed
    pending: bool = False  # ...the current transaction did (not committed yet)
    flash_mark: int = 0


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str | None
    location: str | None
    body: bytes
    flashes: list


@dataclass(frozen=True)
class Committed:
    """The first attempt committed this object but its answer was never stored."""

    id: int
    ref: str


def in_progress() -> Conflict:
    return Conflict(
        _l("This request is still being handled. Please wait a moment and look again."), code="idempotency_in_progress"
    )


def check_key(key: str) -> str:
    if not KEY.fullmatch(key):
        raise BadRequest(
            _l("The idempotency key must be 1 to 64 printable characters."), code="invalid_idempotency_key"
        )
    return key


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode("utf-8", "surrogateescape") + b"\n" + body).hexdigest()


def ref_of(obj) -> str:
    return f"{obj.__tablename__}:{obj.id}"


# --- claiming --------------------------------------------------------------------------------


def _write(stmt, params: dict | None = None, returning: bool = False):
    """One statement in its own short write transaction: the id it returned, or its rowcount."""
    with write_transaction():
        result = db.session.execute(stmt, params or {})
        return result.scalar() if returning else result.rowcount


def _read(caller: str, key: str):
    row = db.session.execute(_READ, {"caller": caller, "key": key}).first()
    db.session.commit()  # end the read (commit, not rollback: loaded objects stay usable)
    return row


def claim(caller: str, key: str, fingerprint: str) -> Claim | Answer | Committed:
    """Claim (caller, key) for this attempt, or say what an earlier attempt left."""
    config = current_app.config
    lease = timedelta(seconds=config.get("IDEMPOTENCY_LEASE_SECONDS", LEASE_SECONDS))
    deadline = time.monotonic() + config.get("IDEMPOTENCY_WAIT_SECONDS", WAIT_SECONDS)
    delay = 0.01
    row = None
    while True:
        now = utcnow()
        if row is None:
            new_id = _write(_INSERT, {"caller": caller, "key": key, "hash": fingerprint, "now": now}, returning=True)
            if new_id is not None:
                return Claim(new_id, now)
        row = _read(caller, key)
        if row is None:
            continue  # purged in between: claim it afresh
        if row.created_at <= now - TTL:  # an expired key is a new key
            if _write(
                update(_t)
                .where(_t.c.id == row.id, _t.c.created_at == row.created_at)
                .values(
                    request_hash=fingerprint,
                    created_at=now,
                    claimed_at=now,
                    outcome=None,
                    status_code=None,
                    content_type=None,
                    location=None,
                    flashes=None,
                    body=None,
                )
            ):
                return Claim(row.id, now)
            continue
        if row.request_hash != fingerprint:
            raise Invalid(
                _l("This idempotency key was already used for a different request."), code="idempotency_mismatch"
            )
        if row.status_code is not None:
            return Answer(
                row.status_code,
                row.content_type,
                row.location,
                row.body or b"",
                json.loads(row.flashes) if row.flashes else [],
            )
        if row.outcome is not None:
            return Committed(row.id, row.outcome)
        if row.claimed_at <= now - lease:  # its attempt died before committing anything: run again
            if _write(
                update(_t)
                .where(
                    _t.c.id == row.id,
                    _t.c.claimed_at == row.claimed_at,
                    _t.c.outcome.is_(None),
                    _t.c.status_code.is_(None),
                )
                .values(claimed_at=now)
            ):
                return Claim(row.id, now)
            continue
        if time.monotonic() >= deadline:
            raise in_progress()
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


# --- after the answer ------------------------------------------------------------------------


def store(
    claim_: Claim,
    status: int,
    content_type: str | None,
    body: bytes,
    location: str | None = None,
    flashes: list | None = None,
) -> None:
    """Keep the answer for replays (only while this attempt still holds the key)."""
    _write(
        update(_t)
        .where(_t.c.id == claim_.id, _t.c.claimed_at == claim_.claimed_at)
        .values(
            status_code=status,
            content_type=content_type,
            location=location,
            body=body,
            flashes=json.dumps(flashes, ensure_ascii=False, default=str) if flashes else None,
        )
    )


def store_rebuilt(row_id: int, status: int, content_type: str | None, body: bytes, location: str | None = None) -> None:
    _write(
        update(_t)
        .where(_t.c.id == row_id, _t.c.status_code.is_(None))
        .values(status_code=status, content_type=content_type, location=location, body=body)
    )


def release(claim_: Claim) -> None:
    """Nothing was done (or the answer is not worth keeping): the key is free again."""
    _write(delete(_t).where(_t.c.id == claim_.id, _t.c.claimed_at == claim_.claimed_at, _t.c.outcome.is_(None)))


def forget_failed_write(err: SQLAlchemyError) -> None:
    """Storing or releasing failed (the database went away): log it and keep the answer. The key
    stays claimed; its outcome, if any, was committed with the use case, so a retry rebuilds it."""
    current_app.logger.warning("idempotency: answer not stored: %s", err)
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone too; the pool replaces it
        current_app.logger.info("idempotency: rollback failed as well")


def purge(now: datetime | None = None) -> int:
    """Delete keys older than 24 h (a job: hourly). Older keys are ignored even before this runs."""
    return _write(delete(_t).where(_t.c.created_at <= (now or utcnow()) - TTL))


# --- the use case's transaction --------------------------------------------------------------


def current() -> Claim | None:
    return g.get("_idempotency") if has_request_context() else None


def _written(session, model):
    for obj in session.new:
        if isinstance(obj, model):
            return obj
    for obj in session.dirty:
        if isinstance(obj, model):
            return obj
    return None


def _watched() -> tuple[Outcome | None, Claim | None] | None:
    """(the endpoint's outcome, the claim) when this request's writes are to be recorded, else None."""
    if not has_request_context():
        return None
    spec: Outcome | None = g.get("_idempotency_outcome")
    claim_: Claim | None = g.get("_idempotency")
    if claim_ is None and (spec is None or not spec.preload):
        return None
    return spec, claim_


@event.listens_for(Session, "after_flush")
def _record_outcome(session, _flush_context):
    """Runs inside the use case's transaction, only when it writes through the ORM."""
    watched = _watched()
    if watched is None:
        return
    spec, claim_ = watched
    # The first object written is the use case's own: later ones (e.g. the booking a freed place
    # makes for the next in the waitlist, in the same transaction) must not replace it.
    obj = _written(session, spec.model) if spec is not None and not g.get("_idempotency_written") else None
    _record(session, spec, claim_, obj)


def wrote(obj) -> None:
    """A use case that wrote its object with a Core INSERT (no ORM flush, so no after_flush)
    names it here, in its transaction, once the object is in the session: the outcome is
    recorded as the flush hook records it."""
    watched = _watched()
    if watched is None:
        return
    spec, claim_ = watched
    mine = spec is not None and isinstance(obj, spec.model) and not g.get("_idempotency_written")
    _record(db.session(), spec, claim_, obj if mine else None)


def _record(session, spec: Outcome | None, claim_: Claim | None, obj) -> None:
    if obj is not None:
        g._idempotency_written = True
    if obj is not None and spec is not None and spec.preload:
        spec.answer(obj)
    if claim_ is None:
        return
    stmt = update(_t).where(_t.c.id == claim_.id, _t.c.claimed_at == claim_.claimed_at)
    stmt = stmt.values(outcome=ref_of(obj)) if obj is not None else stmt.values(claimed_at=_t.c.claimed_at)
    if session.connection().execute(stmt).rowcount != 1:
        raise in_progress()  # another attempt took the key over: this one must not commit
    claim_.pending = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_end(_session, transaction):
    if transaction.parent is None and has_request_context():
        g.pop("_idempotency_written", None)


@event.listens_for(Session, "after_commit")
def _after_commit(_session):
    claim_ = current()
    if claim_ is not None and claim_.pending:
        claim_.committed, claim_.pending = True, False


@event.listens_for(Session, "after_rollback")
def _after_rollback(_session):
    claim_ = current()
    if claim_ is not None:
        claim_.pending = False
