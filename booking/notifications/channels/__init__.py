"""Channels behind one small interface: `send(message, recipient)`, raising SendError.

Each is configured from the app's settings (the environment): email when MAIL_URL is set,
WeCom when WECOM_CORP_ID, WECOM_AGENT_ID and WECOM_SECRET are, Web Push always (its VAPID
keys are generated into instance/ when not given).
"""

import logging
from dataclasses import dataclass, field

from flask import current_app

log = logging.getLogger(__name__)


class SendError(Exception):
    """The channel could not deliver. `permanent`: retrying cannot help (e.g. a bad address)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Rendered:
    """A message in the recipient's language, ready for any channel."""

    message_id: str
    subject: str
    summary: str  # the message in a few lines, no greeting: push and WeCom bodies
    text: str
    html: str
    link: str
    button: str
    unsubscribe: str
    ics: bytes | None = None
    ics_name: str = "booking.ics"


@dataclass
class Recipient:
    user_id: int
    name: str
    email: str | None = None
    wecom_user: str | None = None
    push: list = field(default_factory=list)  # PushSubscription rows


_said = set()


def _say_once(key: str, text: str) -> None:
    if key not in _said:
        _said.add(key)
        log.warning(text)


def enabled() -> set[str]:
    """The channels this server is configured for (email and WeCom need settings)."""
    config = current_app.config
    out = {"push"}
    if config.get("MAIL_URL"):
        out.add("email")
    else:
        _say_once("email", "MAIL_URL is not set: email notifications are off")
    if config.get("WECOM_CORP_ID") and config.get("WECOM_AGENT_ID") and config.get("WECOM_SECRET"):
        out.add("wecom")
    return out


def channel(name: str):
    """The channel object for `name` (built from the current settings)."""
    if name == "email":
        from .email import EmailChannel

        return EmailChannel.from_config(current_app.config)
    if name == "push":
        from .push import PushChannel

        return PushChannel.from_app(current_app)
    if name == "wecom":
        from .wecom import WeComChannel

        return WeComChannel.from_config(current_app.config)
    raise ValueError(name)
