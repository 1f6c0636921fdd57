"""What a password a person chooses may be: long enough, not a common one, not their own name.

The common passwords are the 30,000 of zxcvbn's list (from leaked password sets), shipped with
the library, so no network is needed. That list is mostly English; the passwords Chinese users
choose most (leaked sets such as CSDN's: 5201314, woaini1314, a surname in pinyin and 123456, a
birthday) are caught by zxcvbn's estimator with the words below as its own dictionary. Demo
accounts are seeded with a hash, not through here.
"""

from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from ..errors import Invalid
from . import rules

MAX_LENGTH = 128

# Words and numbers that make up the common Chinese passwords: sayings of love (520 = 我爱你,
# 1314 = 一生一世), pinyin phrases, and the most common surnames, which people put before digits.
CHINESE_WORDS = (
    "woaini",
    "woainima",
    "aini",
    "wodemima",
    "mima",
    "woaiwojia",
    "woaizhongguo",
    "zhongguo",
    "woshishui",
    "nihao",
    "caonima",
    "wocaonima",
    "xiazhili",
    "dearbook",
    "iloveyou",
    "qq",
    "admin",
    "5201314",
    "1314520",
    "520",
    "1314",
    "7758521",
    "5845201314",
    "31415926",
    "3.1415926",
    "wang",
    "li",
    "zhang",
    "liu",
    "chen",
    "yang",
    "huang",
    "zhao",
    "wu",
    "zhou",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
    "he",
    "lin",
    "gao",
    "luo",
)
# zxcvbn's score: 0-1 is at most a million guesses, what an attacker tries first.
WEAK_SCORE = 1


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def min_length() -> int:
    return current_app.config["PASSWORD_MIN_LENGTH"]


def rule_text() -> str:
    """The rule, as the forms show it before anyone fails it."""
    return str(
        _l("At least %(n)d characters. Not a common password, and not your username or phone number.", n=min_length())
    )


def check(password, username: str | None = None, phone: str | None = None) -> None:
    """Invalid (code weak_password, field password) unless `password` may be chosen."""
    password = password if isinstance(password, str) else ""
    minimum = min_length()
    if len(password) < minimum:
        raise Invalid(
            _l("The password must have at least %(n)d characters."), code="weak_password", field="password", n=minimum
        )
    if len(password) > MAX_LENGTH:
        raise Invalid(_l("The password is too long."), code="weak_password", field="password")
    folded = rules.normalize_username(password)
    if folded in _common() or len(set(folded)) <= 2 or _guessable(password):
        raise Invalid(_l("That password is too common. Please choose another."), code="weak_password", field="password")
    name, number = rules.normalize_username(username or ""), rules.normalize_phone(phone or "")
    if (len(name) >= 3 and name in folded) or (len(number) >= 7 and number in rules.normalize_phone(folded)):
        raise Invalid(
            _l("The password must not contain your username or phone number."), code="weak_password", field="password"
        )


def _guessable(password: str) -> bool:
    """Among the first million guesses, and made of what people choose: a Chinese word of the
    list, one pattern over the whole password (a date, a repeat, a sequence, a keyboard run), or
    a common password with at most two characters added."""
    result = zxcvbn(password[:64], user_inputs=list(CHINESE_WORDS))
    if result["score"] > WEAK_SCORE:
        return False
    matches = result["sequence"]
    if any(m.get("dictionary_name") == "user_inputs" for m in matches):
        return True
    if len(matches) == 1 and matches[0]["pattern"] != "bruteforce":
        return True
    return any(m.get("dictionary_name") == "passwords" and len(m["token"]) >= len(password) - 2 for m in matches)
