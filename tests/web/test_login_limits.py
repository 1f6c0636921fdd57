"""The sign-in limit counts per account: every spelling of it, both sign-in endpoints, one count.

(Two real server processes sharing it: tests/races/test_login_limit_processes.py.)
"""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from booking.accounts import limits
from booking.accounts.models import LoginAttempt
from booking.extensions import db
from tests import factories as f


@pytest.fixture
def app_config():
    # Per day: no window boundary falls inside a test (windows are fixed). Two windows, as in production.
    return {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_PER_USERNAME": "5/day;8/month"}


@pytest.fixture
def world(ctx):
    ent = f.org("海顺模具")
    f.user("worker", ent, phone="13812345678")
    f.user("other", ent)
    return ent


SPELLINGS = [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "1 3812345678",
    "+86 138 1234 5678",
    "１３８１２３４５６７８",
    "１３８－１２３４－５６７８",
    "138\u30001234\u30005678",
    "（138）1234-5678",
]


def test_every_spelling_of_one_phone_counts_against_one_account(client, world):
    for spelling in SPELLINGS[:5]:
        assert client.login(spelling, "wrong-password").status_code == 401, spelling
    for spelling in SPELLINGS:  # the limit is reached: the right password is refused too
        r = client.login(spelling, f.PASSWORD)
        assert r.status_code == 429, spelling
        assert "尝试次数过多" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 2  # one row per window
    assert client.login("other").status_code == 302  # another account is not affected


def test_username_spellings_count_as_one(client, world):
    for spelling in ["worker", "WORKER", " Worker ", "ｗｏｒｋｅｒ", "ＷＯＲＫＥＲ"]:
        assert client.login(spelling, "wrong-password").status_code == 401, spelling
    assert client.login("worker").status_code == 429


def test_web_form_and_api_token_share_one_count(client, api, world):
    for _ in range(3):
        assert client.login("worker", "wrong-password").status_code == 401
    for _ in range(2):
        r = api.http.post("/api/v1/auth/token", json={"username": "138-1234-5678", "password": "wrong"})
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "bad_credentials"
    r = api.http.post("/api/v1/auth/token", json={"username": "worker", "password": f.PASSWORD})
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "rate_limited" and r.get_json()["error"]["message"]
    assert client.login("13812345678").status_code == 429


def test_unknown_accounts_are_limited_too(client, world):
    for _ in range(5):
        assert client.login("nobody", "wrong").status_code == 401
    assert client.login("NOBODY", "wrong").status_code == 429


@pytest.mark.parametrize(
    "body",
    [
        {"username": 123, "password": "x"},
        {"username": None, "password": "x"},
        {"username": ["a"]},
        {"username": "worker", "password": 5},
        {"username": {"a": 1}, "password": {}},
        [1],
        1,
        "s",
        None,
        [],
    ],
)
def test_odd_token_bodies_get_a_400_not_a_500(api, world, body):
    r = api.http.post("/api/v1/auth/token", json=body)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "data",
    [
        {"identifier": ["a", "b"], "password": "x"},
        {"identifier": "", "password": ""},
        {"identifier": "w" * 500},
        {"identifier": "\u0000", "password": "\u0000"},
    ],
)
def test_odd_sign_in_forms_get_a_form_error_not_a_500(client, world, data):
    r = client.post_form("/login", data)
    assert r.status_code in (400, 401)


def test_odd_json_posted_to_the_sign_in_form_is_not_a_500(client, world):
    for body in ('{"username": 123}', "[1]", "1"):
        r = client.http.post("/login", data=body, content_type="application/json")
        assert r.status_code == 400  # no CSRF token: the form is refused


def test_guessing_the_current_password_on_the_account_page_counts_too(client, world):
    assert client.login("worker").status_code == 302  # 1
    for _ in range(4):  # 2..5
        r = client.post_form("/account", {"current_password": "guess", "new_password": "Lantern-orchard-42"})
        assert r.status_code == 422
    r = client.post_form("/account", {"current_password": f.PASSWORD, "new_password": "Lantern-orchard-42"})
    assert r.status_code == 429 and "尝试次数过多" in r.get_data(as_text=True)


def test_windows_that_are_over_are_deleted_and_count_no_more(app, ctx, world):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for _ in range(5):
        limits.count_attempt("u:1", start)
    with pytest.raises(limits.TooManyAttempts):
        limits.count_attempt("u:1", start + timedelta(hours=23))
    limits.count_attempt("u:1", start + timedelta(days=1))  # a new day window; the month has room
    rows = {(r.window_seconds, r.n) for r in db.session.scalars(select(LoginAttempt))}
    assert rows == {(86400, 5), (86400, 1), (30 * 86400, 6)}
    limits.count_attempt("u:1", start + timedelta(days=62))  # both old windows are over
    rows = {(r.window_seconds, r.n) for r in db.session.scalars(select(LoginAttempt))}
    assert rows == {(86400, 1), (30 * 86400, 1)}
