"""Sign-in, registration and join approval through the web forms."""

import pytest
from sqlalchemy import func, select

from booking.accounts.models import User
from booking.extensions import db
from tests import factories as f


@pytest.fixture
def world(ctx):
    ent = f.org("海顺模具", invite_code="HSMJ2345")
    f.user("worker", ent, display_name="王伟", phone="13800001234")
    f.user("boss", ent, roles=[("enterprise_admin", ent)], display_name="联络员")
    return ent


def users():
    return db.session.scalar(select(func.count(User.id)))


def test_anonymous_home_redirects_to_sign_in(client):
    r = client.get("/")
    assert r.status_code == 302 and r.location.startswith("/login")


def test_sign_in_page_is_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "登录" in html and "用户名或手机号" in html


def test_sign_in_and_home(client, world):
    r = client.login("worker")
    assert r.status_code == 302 and r.location == "/facilities/"  # a worker lands on booking
    html = client.get("/").get_data(as_text=True)
    assert "王伟，您好" in html and "海顺模具" in html


def test_sign_in_by_phone(client, world):
    assert client.login("13800001234").status_code == 302


@pytest.mark.parametrize("lang, message", [("zh_CN", "用户名或密码错误。"), ("en", "Wrong username or password.")])
def test_wrong_password_is_told_in_the_users_language(client, world, lang, message):
    if lang == "en":
        client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    r = client.login("worker", "wrong-password")
    assert r.status_code == 401
    assert message in r.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_empty_sign_in_form_says_what_is_missing(client, world):
    r = client.post_form("/login", {"identifier": "", "password": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "请输入用户名或手机号。" in html and "请输入密码。" in html


def test_form_without_csrf_token_is_refused(client, world):
    r = client.http.post("/login", data={"identifier": "worker", "password": f.PASSWORD})
    assert r.status_code == 400 and "页面已过期" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_open_redirect_is_not_followed(client, world):
    token = client.csrf("/login")
    r = client.http.post(
        "/login?next=https://evil.example/x", data={"identifier": "worker", "password": f.PASSWORD, "csrf_token": token}
    )
    assert r.location == "/"


def test_sign_out_needs_a_post_with_csrf(client, world):
    client.login("worker")
    assert client.http.get("/logout").status_code == 405
    assert client.http.post("/logout").status_code == 400
    assert client.post_form("/logout", {}, csrf_from="/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "data, message",
    [
        ({"invite_code": "NOPE9999"}, "邀请码无效"),
        ({"username": "worker"}, "该用户名已被占用。"),
        ({"password": "short"}, "密码至少需要 8 个字符。"),
        ({"phone": "13800001234"}, "该手机号已注册。"),
        ({"phone": "999"}, "手机号格式不正确。"),
        ({"username": "a b"}, "用户名为 3 到 40 位"),
        ({"display_name": ""}, "请填写姓名"),
    ],
)
def test_registration_errors_rerender_with_message_and_change_nothing(client, world, data, message):
    before = users()
    form = {
        "invite_code": "HSMJ2345",
        "username": "newbie",
        "display_name": "新人",
        "phone": "",
        "password": "longenough",
        **data,
    }
    r = client.post_form("/register", form)
    assert r.status_code in (400, 422)
    html = r.get_data(as_text=True)
    assert message in html
    assert 'value="新人"' in html or not data.get("display_name", "x")  # what was typed stays
    assert users() == before


def test_registration_then_admin_approval(client, world, app):
    r = client.post_form(
        "/register",
        {
            "invite_code": "hsmj2345",
            "username": "newbie",
            "display_name": "新人",
            "phone": "",
            "password": "longenough",
        },
    )
    assert r.status_code == 302
    r = client.login("newbie", "longenough")
    assert "等待企业工会审核" in r.get_data(as_text=True)

    admin = type(client)(app)
    admin.login("boss")
    page = admin.get("/members/requests").get_data(as_text=True)
    assert "新人" in page
    newbie = db.session.scalar(select(User).where(User.username == "newbie"))
    r = admin.post_form(f"/members/requests/{newbie.id}/approve", {}, csrf_from="/members/requests")
    assert r.status_code == 302
    assert client.login("newbie", "longenough").location == "/facilities/"


def test_join_requests_page_is_for_enterprise_admins_only(client, world):
    client.login("worker")
    assert client.get("/members/requests").status_code == 403


def test_admin_cannot_approve_another_enterprises_worker(client, world, app):
    other = f.org("别家", invite_code="OTHR2345")
    stranger = f.user("stranger", other, status="pending")
    client.login("boss")
    r = client.post_form(f"/members/requests/{stranger.id}/approve", {}, csrf_from="/members/requests")
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, stranger.id).status == "pending"


def test_language_switch_persists_for_the_user(client, world, app):
    client.login("worker")
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/")
    assert "Hello, 王伟" in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.username == "worker")) == "en"
    fresh = type(client)(app)  # a new device: the account remembers English
    fresh.login("worker")
    assert "Hello, 王伟" in fresh.get("/").get_data(as_text=True)


def test_error_pages_in_both_languages(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "未找到。" in r.get_data(as_text=True)
    client.post_form("/lang/en", {"next": "/"}, csrf_from="/login")
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "Not found." in r.get_data(as_text=True)


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True}


def test_login_is_rate_limited_per_username_not_per_address(client, world):
    for _ in range(5):
        assert client.login("worker", "wrong-password").status_code == 401
    r = client.login("worker", f.PASSWORD)
    assert r.status_code == 429 and "尝试次数过多" in r.get_data(as_text=True)
    # Another worker behind the same factory gateway (same address) still signs in.
    assert client.login("boss").status_code == 302


def test_session_cookie_is_hardened(client, world):
    r = client.login("worker")
    cookie = r.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_every_registration_problem_shows_in_one_submit(client, world):
    before = users()
    form = {
        "invite_code": "NOPE9999",
        "username": "worker",
        "display_name": "新人",
        "phone": "999",
        "password": "short",
    }
    r = client.post_form("/register", form)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for message in ("邀请码无效", "该用户名已被占用。", "密码至少需要 8 个字符。", "手机号格式不正确。"):
        assert message in html, message
    # a field left empty (the form's check) and the service's problems, together
    r = client.post_form("/register", {**form, "display_name": "", "phone": "13800001234", "password": "longenough"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    for message in ("请填写姓名", "邀请码无效", "该用户名已被占用。", "该手机号已注册。"):
        assert message in html, message
    assert users() == before
