"""Pure checks on account input: what a username, phone number or password may be."""
import re

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,39}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")  # mainland mobile numbers


def normalize_username(text: str) -> str:
    return (text or "").strip().lower()


def normalize_phone(text: str) -> str:
    digits = re.sub(r"[\s-]", "", text or "")
    return digits[3:] if digits.startswith("+86") else digits


def is_valid_username(name: str) -> bool:
    return bool(USERNAME_RE.match(name))


def is_valid_phone(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def looks_like_phone(identifier: str) -> bool:
    return normalize_phone(identifier).isdigit()
