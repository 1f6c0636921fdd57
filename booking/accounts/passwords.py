"""What a password a person chooses may be: long enough, not a common one, not their own name.

The common passwords are the 30,000 of zxcvbn's list (from leaked password sets), shipped with
the library, so no network is needed. Demo accounts are seeded with a hash, not through here.
"""
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..errors import Invalid
from . import rules

MAX_LENGTH = 128


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    return frozenset(FREQUENCY_LISTS["passwords"])


def min_length() -> int:
    return current_app.config["PASSWORD_MIN_LENGTH"]


def rule_text() -> str:
    """The rule, as the forms show it before anyone fails it."""
    return str(_l("At least %(n)d characters. Not a common password, and not your username or phone number.",
                  n=min_length()))


def check(password, username: str | None = None, phone: str | None = None) -> None:
    """Invalid (code weak_password, field password) unless `password` may be chosen."""
    password = password if isinstance(password, str) else ""
    minimum = min_length()
    if len(password) < minimum:
        raise Invalid(_l("The password must have at least %(n)d characters."), code="weak_password",
                      field="password", n=minimum)
    if len(password) > MAX_LENGTH:
        raise Invalid(_l("The password is too long."), code="weak_password", field="password")
    folded = rules.normalize_username(password)
    if folded in _common() or len(set(folded)) <= 2:
        raise Invalid(_l("That password is too common. Please choose another."), code="weak_password",
                      field="password")
    name, number = rules.normalize_username(username or ""), rules.normalize_phone(phone or "")
    if (len(name) >= 3 and name in folded) or (len(number) >= 7 and number in rules.normalize_phone(folded)):
        raise Invalid(_l("The password must not contain your username or phone number."),
                      code="weak_password", field="password")
