"""The web side: a hidden field that gives each rendered form its own idempotency key."""

import secrets

from wtforms import HiddenField

FIELD = "idempotency_key"


def new_key() -> str:
    return secrets.token_urlsafe(18)


class IdempotencyKeyField(HiddenField):
    """Renders a fresh key every time: one key per form a person sees, so a double tap sends the
    same key twice, while a form shown again (e.g. with an error) is a new request."""

    def _value(self):
        return new_key()


class IdempotentForm:
    """Mix into a FlaskForm: its POSTs book once however often they are sent (see web.py)."""

    idempotency_key = IdempotencyKeyField()
