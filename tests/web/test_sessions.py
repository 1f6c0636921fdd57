"""Sessions end on the server: old copies of the session and remember cookies stop working after
sign-out, a password change, sign-out everywhere, role revocation and disabling."""

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import func, select

from booking.accounts import services as accounts
from booking.accounts.models import UserSession
from booking.admin import people
from booking.extensions import db
from tests import factories as f
from tests.helpers import ApiClient, WebClient

NEW_PASSWORD = "Lantern-orchard-42"


@pytest.fixture
def world(ctx):
    host = f.org("吉利春晓", kind="joint_union")
    ent = f.org("海顺模具")
    return {
        "host": host,
        "worker": f.user("worker", ent, phone="13812345678"),
        "staff": f.user("staff", roles=[("host_staff", host)]),
        "admin": f.user("admin", roles=[("host_admin", host)]),
    }


def sign_in(app, username="worker", password=f.PASSWORD, remember=True) -> WebClient:
    client = WebClient(app)
    data = {"identifier": username, "password": password}
    if remember:
        data["remember"] = "y"
    assert client.post_form("/login", data).status_code == 302
    return client


def cookies(client: WebClient) -> dict:
    return {
        name: client.http.get_cookie(name).value
        for name in ("session", "remember_token")
        if client.http.get_cookie(name) is not None
    }


def signed_in_with(app, **saved) -> bool:
    """A new browser carrying only these cookie values: does it get the home page?"""
    fresh = WebClient(app)
    for name, value in saved.items():
        fresh.http.set_cookie(name, value)
    return fresh.get("/").status_code == 200


def test_old_session_and_remember_cookies_are_dead_after_sign_out(app, world):
    client = sign_in(app)
    saved = cookies(client)
    assert set(saved) == {"session", "remember_token"}
    assert signed_in_with(app, session=saved["session"])
    assert signed_in_with(app, remember_token=saved["remember_token"])
    assert client.post_form("/logout", {}, csrf_from="/").status_code == 302
    assert client.get("/").status_code == 302
    assert not signed_in_with(app, session=saved["session"])
    assert not signed_in_with(app, remember_token=saved["remember_token"])
    assert not signed_in_with(app, **saved)


def test_remember_cookies_differ_per_sign_in_and_last_thirty_days(app, world):
    first = WebClient(app)
    r = first.post_form("/login", {"identifier": "worker", "password": f.PASSWORD, "remember": "y"})
    remember = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert len(remember) == 1
    expires = parsedate_to_datetime(remember[0].split("Expires=")[1].split(";")[0])
    days = (expires - datetime.now(timezone.utc)) / timedelta(days=1)
    assert 29.9 < days <= 30.0
    second = sign_in(app)
    assert cookies(first)["remember_token"] != cookies(second)["remember_token"]


def test_password_change_on_another_device_signs_this_one_out(app, world):
    phone = sign_in(app)
    saved = cookies(phone)
    api = ApiClient(app).login("worker")
    laptop = sign_in(app, remember=False)
    r = laptop.post_form("/account", {"current_password": f.PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 302 and r.location == "/account"
    assert laptop.get("/").status_code == 200  # the device that changed it stays signed in
    assert phone.get("/").status_code == 302
    assert not signed_in_with(app, **saved)
    assert not signed_in_with(app, remember_token=saved["remember_token"])
    assert api.get("/api/v1/me").status_code == 401
    assert WebClient(app).login("worker", f.PASSWORD).status_code == 401
    assert WebClient(app).login("worker", NEW_PASSWORD).status_code == 302


def test_password_change_refuses_a_wrong_current_password_and_weak_ones(app, world):
    client = sign_in(app)
    r = client.post_form("/account", {"current_password": "wrong", "new_password": NEW_PASSWORD})
    assert r.status_code == 422 and "当前密码不对" in r.get_data(as_text=True)
    for weak, message in [
        ("password", "太常见"),
        ("12345678", "太常见"),
        ("worker-2024x", "用户名或手机号"),
        ("my13812345678", "用户名或手机号"),
        ("short", "至少 8 个字符"),
    ]:
        r = client.post_form("/account", {"current_password": f.PASSWORD, "new_password": weak})
        assert r.status_code == 422 and message in r.get_data(as_text=True), weak
    assert client.get("/").status_code == 200  # nothing ended


def test_account_page_states_the_rule_before_anyone_fails_it(app, world):
    html = sign_in(app).get("/account").get_data(as_text=True)
    assert "至少 8 个字符" in html and "常见密码" in html


def test_sign_out_everywhere(app, world):
    phone, laptop = sign_in(app), sign_in(app)
    saved = cookies(phone)
    api = ApiClient(app).login("worker")
    assert "全部退出登录" in laptop.get("/account").get_data(as_text=True)
    r = laptop.post_form("/account/sign-out-everywhere", {}, csrf_from="/account")
    assert r.status_code == 302 and r.location == "/login"
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert not signed_in_with(app, **saved)
    assert api.get("/api/v1/me").status_code == 401
    assert sign_in(app).get("/").status_code == 200  # signing in again works


def test_role_revocation_ends_the_sessions(app, world):
    staff = sign_in(app, "staff")
    saved = cookies(staff)
    assert staff.get("/scan").status_code == 200
    people.revoke_staff(world["admin"], world["host"].id, world["staff"].id, "host_staff")
    assert staff.get("/scan").status_code == 302
    assert not signed_in_with(app, **saved)


def test_disabling_an_account_ends_its_sessions_and_tokens(app, world):
    client = sign_in(app)
    api = ApiClient(app).login("worker")
    accounts.disable_account(world["worker"].id)
    assert client.get("/").status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    assert WebClient(app).login("worker").status_code == 401


def test_the_disable_account_command_ends_its_sessions_and_tokens(app, world):
    client = sign_in(app)
    api = ApiClient(app).login("worker")
    staff = sign_in(app, "staff")
    result = app.test_cli_runner().invoke(args=["disable-account", "Worker"])
    assert result.exit_code == 0, result.output
    assert client.get("/").status_code == 302
    assert api.get("/api/v1/me").status_code == 401
    assert WebClient(app).login("worker").status_code == 401
    assert staff.get("/").status_code == 200  # nobody else's


def test_the_disable_account_command_refuses_an_unknown_name(app, world):
    client = sign_in(app)
    result = app.test_cli_runner().invoke(args=["disable-account", "nobody"])
    assert result.exit_code == 1 and "no account named 'nobody'" in result.output
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("secure", [True, False])
def test_every_auth_cookie_is_secure_when_the_session_cookie_is(db_url, world, secure):
    from booking import create_app
    from tests.conftest import make_config

    app = create_app(make_config(db_url, SESSION_COOKIE_SECURE=secure))
    client = WebClient(app)
    r = client.post_form("/login", {"identifier": "worker", "password": f.PASSWORD, "remember": "y"})
    set_cookies = r.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in set_cookies} == {"session", "remember_token"}
    for cookie in set_cookies:
        assert ("; Secure" in cookie) is secure, cookie
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_ended_sign_ins_are_cleared_at_the_next_sign_in(app, world):
    for _ in range(3):
        client = sign_in(app)
        client.post_form("/logout", {}, csrf_from="/")
    sign_in(app)
    assert db.session.scalar(select(func.count(UserSession.id))) == 1


def test_an_api_call_leaves_cookies_alone_and_a_page_varies_on_them(app, world):
    """Flask-Login's remember-cookie hook runs only for a request that used the session
    (booking.extensions.remember_cookie_only_for_used_sessions): an API call with a bearer token
    sets no cookie and does not vary on Cookie; a page read with the session still does."""
    api = ApiClient(app).login("worker", f.PASSWORD)
    me = api.get("/api/v1/me")
    assert me.status_code == 200
    assert "Cookie" not in me.headers.get("Vary", "") and "Set-Cookie" not in me.headers
    client = sign_in(app)
    page = client.get("/")
    assert page.status_code == 200 and "Cookie" in page.headers.get("Vary", "")
    assert set(cookies(client)) == {"session", "remember_token"}
