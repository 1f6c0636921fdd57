"""The outbox's delivery, run by the job runner: claim due messages, send, retry or give up.

At most once per message and channel, however many runners: a message is claimed
(pending → sending) by one guarded UPDATE in a write transaction; on PostgreSQL the due rows
are picked FOR UPDATE SKIP LOCKED (runners take different rows and never wait for each
other), on SQLite the write lock serializes the claims. It is sent outside any transaction,
then marked sent or put back with a later attempt time (exponential backoff), or dead after
MAX_ATTEMPTS or a permanent refusal. A runner that dies mid-send leaves its claim; after
STUCK_AFTER it goes to the dead-letter list rather than risk a second copy.
"""

import json
import logging
import os

from sqlalchemy import select, update

from .. import timeutil
from ..accounts.models import User
from ..database import write_transaction
from ..extensions import db
from ..notifications import channels, rules
from ..notifications.channels import Recipient, SendError
from ..notifications.models import OutboxMessage
from ..notifications.services import push_subscriptions, settings_of, unsubscribe_token
from ..waitlist.models import WaitlistEntry
from .render import external, render

log = logging.getLogger(__name__)
M = OutboxMessage


def runner_name() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


def _skip_locked(query):
    """PostgreSQL: lock the rows picked, skipping those another runner is claiming."""
    if db.session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def claim(now, limit: int, runner: str) -> list[int]:
    """Claim up to `limit` due messages for this runner; returns their ids."""
    with write_transaction():
        due = (
            select(M.id)
            .where(M.status == "pending", M.next_attempt_at <= now)
            .order_by(M.next_attempt_at, M.id)
            .limit(limit)
        )
        ids = list(db.session.scalars(_skip_locked(due)))
        if not ids:
            return []
        claimed = db.session.scalars(
            update(M)
            .where(M.id.in_(ids), M.status == "pending")
            .values(status="sending", attempts=M.attempts + 1, claimed_at=now, claimed_by=runner)
            .returning(M.id)
        )
        return sorted(claimed)


def _finish(message_id: int, runner: str, **values) -> None:
    with write_transaction():
        db.session.execute(
            update(M).where(M.id == message_id, M.status == "sending", M.claimed_by == runner).values(**values)
        )


def _recipient(message: M, user: User) -> Recipient:
    settings = settings_of(user.id)
    if message.event == "verify_email":  # to the address the link is for, verified or not
        email = json.loads(message.context).get("email")
    else:
        email = settings.email if settings.email_verified_at else None
    return Recipient(
        user_id=user.id,
        name=user.display_name,
        email=email,
        wecom_user=settings.wecom_user or user.username,
        push=push_subscriptions(user.id) if message.channel == "push" else [],
    )


def _still_wanted(message: M) -> bool:
    """The person may have turned the channel off since the message was written."""
    s = settings_of(message.user_id)
    return {"email": s.email_on or message.event == "verify_email", "push": s.push_on, "wecom": s.wecom_on}[
        message.channel
    ]


def _still_true(message: M, now) -> bool:
    """An offer's message asks to accept: not once the place was accepted, declined or passed on."""
    if message.event not in ("waitlist_offered", "waitlist_expiring"):
        return True
    entry = db.session.get(WaitlistEntry, json.loads(message.context).get("waitlist_entry_id"))
    return entry is not None and entry.status == "offered" and entry.offer_expires_at > now


def deliver_one(message_id: int, now, runner: str) -> str:
    """Send one claimed message; returns its new status."""
    message = db.session.get(M, message_id, populate_existing=True)
    db.session.commit()  # end the read: nothing is held while the channel talks to the network
    if message.channel not in channels.enabled():
        _finish(message_id, runner, status="dead", last_error=f"{message.channel} is not configured")
        return "dead"
    if not _still_wanted(message):
        _finish(message_id, runner, status="sent", last_error="skipped: turned off by the person")
        return "sent"
    if not _still_true(message, now):
        _finish(message_id, runner, status="sent", last_error="skipped: the offer is no longer open")
        return "sent"
    try:
        user = message.user
        rendered = render(message, user, unsubscribe=_unsubscribe_link(unsubscribe_token(user.id)))
        recipient = _recipient(message, user)
        db.session.commit()
        channels.channel(message.channel).send(rendered, recipient)
    except SendError as exc:
        dead = exc.permanent or message.attempts >= rules.MAX_ATTEMPTS
        log.warning("outbox %s (%s) attempt %s failed: %s", message_id, message.channel, message.attempts, exc)
        _finish(
            message_id,
            runner,
            status="dead" if dead else "pending",
            last_error=str(exc)[:500],
            next_attempt_at=now + rules.retry_delay(message.attempts),
        )
        return "dead" if dead else "pending"
    except Exception as exc:  # a bug or bad data: never lose the row, never stop the others
        log.exception("outbox %s (%s) failed", message_id, message.channel)
        db.session.rollback()
        dead = message.attempts >= rules.MAX_ATTEMPTS
        _finish(
            message_id,
            runner,
            status="dead" if dead else "pending",
            last_error=repr(exc)[:500],
            next_attempt_at=now + rules.retry_delay(message.attempts),
        )
        return "dead" if dead else "pending"
    _finish(message_id, runner, status="sent", sent_at=timeutil.utcnow(), last_error=None)
    return "sent"


def _unsubscribe_link(token: str) -> str:
    return external("notifications.unsubscribe", token=token)


def bury_stuck(now) -> int:
    """Claims whose runner stopped mid-send: dead (maybe sent, maybe not; never sent twice)."""
    with write_transaction():
        return db.session.execute(
            update(M)
            .where(M.status == "sending", M.claimed_at < now - rules.STUCK_AFTER)
            .values(status="dead", last_error="the runner stopped while sending")
        ).rowcount


def deliver_due(now=None, limit: int = 20, runner: str | None = None, rounds: int = 50) -> dict:
    """Deliver what is due, `limit` at a time, until nothing is left (or `rounds` batches)."""
    now = now or timeutil.utcnow()
    runner = runner or runner_name()
    counts = {"sent": 0, "pending": 0, "dead": bury_stuck(now), "ids": []}
    for _ in range(rounds):
        ids = claim(now, limit, runner)
        if not ids:
            break
        for message_id in ids:
            counts[deliver_one(message_id, now, runner)] += 1
            counts["ids"].append(message_id)
    return counts
