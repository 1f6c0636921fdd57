"""notify(), the one door to notifications, and each person's settings and subscriptions.

notify() runs inside the caller's write transaction and never commits: the messages are part
of the change they tell about. Settings use cases commit once, like every service.
"""

import json
import re
from datetime import datetime
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, exists, literal, select
from sqlalchemy.orm.util import identity_key

from .. import timeutil
from ..database import fetch, write_transaction
from ..errors import Invalid, NotFound
from ..extensions import db
from . import channels, rules
from .models import Notification, NotificationSettings, OutboxMessage, PushSubscription

VERIFY_SALT, UNSUBSCRIBE_SALT = "notify-verify-email", "notify-unsubscribe"
VERIFY_MAX_AGE = 3 * 24 * 3600
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_WECOM_USER = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def settings_of(user_id: int) -> NotificationSettings:
    """The person's settings, or the defaults (not saved) when they never changed any."""
    found = db.session.get(NotificationSettings, user_id)
    if found is not None:
        return found
    return settings_of_defaults(user_id)


DEFAULTS: dict[str, Any] = dict(
    email_on=True, push_on=True, wecom_on=True, reminder_minutes=60, quiet_start=22 * 60, quiet_end=7 * 60
)


def settings_of_defaults(user_id: int) -> NotificationSettings:
    return NotificationSettings(user_id=user_id, **DEFAULTS)


class _Prefs(NamedTuple):
    """What notify() reads of a person's settings, from the row or the defaults: a plain value,
    no ORM object to build on a booking's path."""

    email: str | None
    email_verified_at: datetime | None
    email_on: bool
    push_on: bool
    wecom_on: bool
    quiet_start: int
    quiet_end: int


_DEFAULT_PREFS = _Prefs(None, None, *(DEFAULTS[name] for name in _Prefs._fields[2:]))


_S, _P = NotificationSettings.__table__, PushSubscription.__table__


def settings_statement(*leading):
    """What notify() reads of a person (bind parameter `user_id`), in one prebuilt statement:
    their settings (NULLs when they never saved any: the defaults apply) and whether they have a
    push subscription; after the caller's own `leading` columns, so that a use case reads them
    with what it reads anyway and hands them to notify(settings=settings_read(row))."""
    return select(
        *leading,
        _S.c.email,
        _S.c.email_verified_at,
        _S.c.email_on,
        _S.c.push_on,
        _S.c.wecom_on,
        _S.c.quiet_start,
        _S.c.quiet_end,
        exists().where(_P.c.user_id == bindparam("user_id")).label("has_push"),
    ).select_from(select(literal(1).label("one")).subquery().outerjoin(_S, _S.c.user_id == bindparam("user_id")))


_FOR_NOTIFY = settings_statement()
_READ = len(_Prefs._fields) + 1  # the columns settings_statement() adds


def settings_read(row) -> tuple:
    """(settings, has a push subscription) from a row of settings_statement()."""
    *prefs, has_push = row[-_READ:]
    return (_DEFAULT_PREFS if prefs[2] is None else _Prefs(*prefs)), bool(has_push)  # email_on NULL: never saved


def _settings_for_notify(user_id: int, read: tuple | None = None) -> tuple:  # (NotificationSettings or _Prefs, bool)
    """(settings, has a push subscription): `read` when the caller read them (settings_read()),
    else one query; through the ORM when the settings are in the session (changed in this
    transaction and maybe not flushed)."""
    session = db.session()
    if identity_key(NotificationSettings, user_id) in session.identity_map or any(
        isinstance(obj, NotificationSettings) for obj in session.new
    ):
        settings = settings_of(user_id)
        return settings, settings.push_on and _has_push(user_id)
    return read if read is not None else settings_read(fetch(_FOR_NOTIFY, user_id=user_id).one())


def _has_push(user_id: int) -> bool:
    return (
        db.session.scalar(select(PushSubscription.id).where(PushSubscription.user_id == user_id).limit(1)) is not None
    )


def _channels_for(
    user_id: int, event: str, settings: "NotificationSettings | _Prefs", has_push: bool | None = None
) -> list[str]:
    enabled = channels.enabled()
    if event == "verify_email":
        return ["email"] if "email" in enabled and settings.email else []
    out = []
    if "email" in enabled and settings.email_on and settings.email and settings.email_verified_at:
        out.append("email")
    if settings.push_on and (has_push if has_push is not None else _has_push(user_id)):
        out.append("push")
    if "wecom" in enabled and settings.wecom_on:
        out.append("wecom")
    return out


def _due_at(event: str, settings: "NotificationSettings | _Prefs", now: datetime) -> datetime:
    """Now, or the end of the person's quiet hours (reminders and verification come anyway)."""
    if event in rules.URGENT:
        return now
    tz = current_app.config["DEFAULT_TIMEZONE"]
    until = rules.quiet_until(timeutil.to_local(now, tz), settings.quiet_start, settings.quiet_end)
    return now if until is None else until.astimezone(now.tzinfo)


def notify(
    user_id: int,
    event: str,
    context: dict | None = None,
    reservation_id: int | None = None,
    now: datetime | None = None,
    dedupe_key: str | None = None,
    waitlist_entry_id: int | None = None,
    known_settings: tuple | None = None,
) -> list[OutboxMessage]:
    """Tell `user_id` about `event`: the in-app row and one outbox row per enabled channel, in
    the caller's transaction (nothing is sent if it rolls back). `waitlist_entry_id`: the
    waitlist entry a waitlist or draw event is about (kept in the message's context).
    `known_settings`: the person's settings as the caller read them in this transaction
    (settings_read() of a settings_statement() row), to save the query."""
    if event not in rules.EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    now = now or timeutil.utcnow()
    context = dict(context or {})
    if waitlist_entry_id is not None:
        context["waitlist_entry_id"] = waitlist_entry_id
    if event in rules.IN_APP and (reservation_id is not None or waitlist_entry_id is not None):
        db.session.add(
            Notification(
                user_id=user_id,
                reservation_id=reservation_id,
                kind=event,
                waitlist_entry_id=waitlist_entry_id,
                reason=context.get("reason"),
                created_at=now,
            )
        )
    if event in rules.SUPERSEDES and reservation_id is not None:
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.reservation_id == reservation_id,
                OutboxMessage.event == rules.SUPERSEDES[event],
                OutboxMessage.status == "pending",
            )
        )
    settings, has_push = _settings_for_notify(user_id, known_settings)
    due = _due_at(event, settings, now)
    messages = [
        OutboxMessage(
            user_id=user_id,
            channel=channel,
            event=event,
            reservation_id=reservation_id,
            context=json.dumps(context, ensure_ascii=False),
            dedupe_key=dedupe_key,
            status="pending",
            attempts=0,
            next_attempt_at=due,
            created_at=now,
        )
        for channel in _channels_for(user_id, event, settings, has_push)
    ]
    db.session.add_all(messages)
    return messages


# -- settings -------------------------------------------------------------------------------


def _int_in(value, low: int, high: int, message) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(message, code="invalid_setting") from None
    if not low <= number <= high:
        raise Invalid(message, code="invalid_setting")
    return number


def _minute_of_day(text, message) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text or "").strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise Invalid(message, code="invalid_setting")
    return int(match[1]) * 60 + int(match[2])


def _stored_settings(user_id: int) -> NotificationSettings:
    found = db.session.get(NotificationSettings, user_id)
    if found is None:
        found = settings_of(user_id)
        db.session.add(found)
    return found


def _clean_email(email) -> str:
    email = (email or "").strip()
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        raise Invalid(_l("Please enter a valid email address."), code="invalid_email", field="email")
    return email


def _apply_email(s: NotificationSettings, user_id: int, email: str, now: datetime) -> bool:
    """A new address waits for its link to be opened; nothing else is sent to it before."""
    if email == (s.email or ""):
        return False
    s.email, s.email_verified_at = email or None, None
    if email:
        token = _serializer(VERIFY_SALT, timed=True).dumps({"u": user_id, "e": email})
        db.session.flush()
        notify(user_id, "verify_email", {"token": token, "email": email}, now=now)
    return bool(email)


def _clean_wecom_user(value) -> str | None:
    value = (value or "").strip()
    if value and not _WECOM_USER.match(value):
        raise Invalid(
            _l("A WeCom account is up to 64 letters, digits and . _ @ -"), code="invalid_setting", field="wecom_user"
        )
    return value or None


def save_settings(
    user,
    email,
    email_on: bool,
    push_on: bool,
    wecom_on: bool,
    reminder_minutes,
    quiet_start,
    quiet_end,
    wecom_user=None,
    now: datetime | None = None,
) -> bool:
    """The settings page: every value checked first, then saved at once. True when a new
    address was given (its confirmation link is on its way). `wecom_user`: the person's WeCom
    userid when it is not their username here."""
    email = _clean_email(email)
    wecom_user = _clean_wecom_user(wecom_user)
    minutes = _int_in(reminder_minutes, 0, 1440, _l("The reminder must be 0 to 1440 minutes before the start."))
    start = _minute_of_day(quiet_start, _l("Quiet hours need times like 22:00."))
    end = _minute_of_day(quiet_end, _l("Quiet hours need times like 22:00."))
    now = now or timeutil.utcnow()
    with write_transaction():
        s = _stored_settings(user.id)
        s.email_on, s.push_on, s.wecom_on = bool(email_on), bool(push_on), bool(wecom_on)
        s.reminder_minutes, s.quiet_start, s.quiet_end = minutes, start, end
        s.wecom_user = wecom_user
        return _apply_email(s, user.id, email, now)


def _serializer(salt: str, timed: bool = False):
    cls = URLSafeTimedSerializer if timed else URLSafeSerializer
    return cls(current_app.config["SECRET_KEY"], salt=salt)


def verify_email(token: str, now: datetime | None = None) -> NotificationSettings:
    try:
        data = _serializer(VERIFY_SALT, timed=True).loads(token, max_age=VERIFY_MAX_AGE)
    except SignatureExpired:
        raise Invalid(
            _l("This link has expired. Enter your address again for a new one."), code="link_expired"
        ) from None
    except BadSignature:
        raise NotFound() from None
    with write_transaction():
        s = db.session.get(NotificationSettings, data.get("u"))
        if s is None or s.email != data.get("e"):
            raise Invalid(_l("This link is for an address you no longer use."), code="link_stale")
        if s.email_verified_at is None:
            s.email_verified_at = now or timeutil.utcnow()
    return s


def unsubscribe_token(user_id: int) -> str:
    return _serializer(UNSUBSCRIBE_SALT).dumps(user_id)


def unsubscribe(token: str) -> int:
    """The link in every email: email off for that person (other channels stay)."""
    try:
        user_id = _serializer(UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise NotFound() from None
    with write_transaction():
        _stored_settings(int(user_id)).email_on = False
    return int(user_id)


# -- Web Push subscriptions -----------------------------------------------------------------


def subscribe_push(user, subscription) -> PushSubscription:
    """Save a browser's PushSubscription (its JSON): endpoint and keys p256dh, auth."""
    try:
        endpoint = subscription["endpoint"]
        p256dh, auth = subscription["keys"]["p256dh"], subscription["keys"]["auth"]
        valid = (
            all(isinstance(v, str) and v for v in (endpoint, p256dh, auth))
            and endpoint.startswith(("https://", "http://"))
            and len(endpoint) <= 1000
            and len(p256dh) <= 200
            and len(auth) <= 100
        )
    except (KeyError, TypeError):
        valid = False
    if not valid:
        raise Invalid(_l("This browser sent a subscription we cannot use."), code="invalid_subscription")
    with write_transaction():
        db.session.execute(delete(PushSubscription).where(PushSubscription.endpoint == endpoint))
        sub = PushSubscription(
            user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=timeutil.utcnow()
        )
        db.session.add(sub)
    return sub


def unsubscribe_push(user, endpoint: str) -> bool:
    with write_transaction():
        return (
            db.session.execute(
                delete(PushSubscription).where(
                    PushSubscription.user_id == user.id, PushSubscription.endpoint == endpoint
                )
            ).rowcount
            > 0
        )


def push_subscriptions(user_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)))
