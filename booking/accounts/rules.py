"""Pure checks on account input: what a username, phone number or password may be."""

import re
import unicodedata

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")  # mainland mobile numbers


# Separators people type inside a phone number (after NFKC: full-width forms are folded).
_PHONE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc.()]")


def _fold(text: str) -> str:
    """Full-width digits, letters and punctuation (０-９, Ａ, －, the ideographic space) as ASCII."""
    return unicodedata.normalize("NFKC", text or "")


def normalize_username(text: str) -> str:
    return _fold(text).strip().lower()


def normalize_phone(text: str) -> str:
    digits = _PHONE_SEPARATORS.sub("", _fold(text))
    return digits[3:] if digits.startswith("+86") else digits


def is_valid_username(name: str) -> bool:
    return bool(USERNAME_RE.match(name))


def is_valid_phone(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def looks_like_phone(identifier: str) -> bool:
    return normalize_phone(identifier).isdigit()
