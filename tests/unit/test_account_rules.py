"""booking/accounts/rules.py: what a username and a phone number may be (tables)."""

import pytest

from booking.accounts import rules


@pytest.mark.parametrize(
    "text, normal, valid",
    [
        ("worker", "worker", True),
        ("  Worker.Li ", "worker.li", True),
        ("abc", "abc", True),  # three characters: the shortest
        ("ab", "ab", False),
        ("a" * 40, "a" * 40, True),  # forty: the longest
        ("a" * 41, "a" * 41, False),
        ("_worker", "_worker", False),  # must start with a letter or digit
        ("9worker", "9worker", True),
        ("li wei", "li wei", False),
        ("李伟", "李伟", False),
        ("", "", False),
        (None, "", False),
    ],
)
def test_usernames(text, normal, valid):
    assert rules.normalize_username(text) == normal
    assert rules.is_valid_username(normal) is valid


@pytest.mark.parametrize(
    "text, normal, valid",
    [
        ("13812345678", "13812345678", True),
        ("138 1234 5678", "13812345678", True),
        ("138-1234-5678", "13812345678", True),
        ("+8613812345678", "13812345678", True),
        ("12812345678", "12812345678", False),  # 12x is not a mobile prefix
        ("1381234567", "1381234567", False),  # ten digits
        ("138123456789", "138123456789", False),
        ("", "", False),
        (None, "", False),
    ],
)
def test_phone_numbers(text, normal, valid):
    assert rules.normalize_phone(text) == normal
    assert rules.is_valid_phone(normal) is valid


@pytest.mark.parametrize(
    "identifier, phone_like",
    [("13812345678", True), ("+86 138 1234 5678", True), ("worker", False), ("138abc", False), ("", False)],
)
def test_looks_like_phone(identifier, phone_like):
    assert rules.looks_like_phone(identifier) is phone_like
