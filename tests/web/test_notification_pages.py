"""The notification pages: settings, the email links, Web Push subscriptions, dead letters."""

import re

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.notifications import services as notices
from booking.notifications.models import NotificationSettings, OutboxMessage, PushSubscription
from tests import world as w


@pytest.fixture
def app_config(tmp_path):
    return {
        "MAIL_URL": "smtp://127.0.0.1:9",
        "VAPID_KEY_FILE": str(tmp_path / "vapid.pem"),
        "PUBLIC_URL": "https://venues.test",
    }


@pytest.fixture
def world(ctx):
    return w.build()


def test_settings_page_saves_and_asks_to_verify_a_new_address(client, world):
    client.login("worker")
    page = client.get("/notifications/settings")
    assert page.status_code == 200 and 'data-testid="notification-settings"' in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True).split("</main>")[0]  # no inline script on the page
    answer = client.post_form(
        "/notifications/settings",
        {
            "email": "me@example.test",
            "email_on": "y",
            "push_on": "y",
            "reminder_minutes": "30",
            "quiet_start": "21:30",
            "quiet_end": "06:45",
        },
    )
    assert answer.status_code == 302
    s = db.session.get(NotificationSettings, world.worker.id)
    assert (s.email, s.email_verified_at, s.reminder_minutes, s.quiet_start, s.quiet_end, s.wecom_on) == (
        "me@example.test",
        None,
        30,
        21 * 60 + 30,
        6 * 60 + 45,
        True,
    )  # no WeCom here: left as it was
    assert [m.event for m in db.session.scalars(select(OutboxMessage))] == ["verify_email"]
    assert 'data-testid="email-unverified"' in client.get("/notifications/settings").get_data(as_text=True)


def test_bad_settings_are_refused_in_the_users_language(client, world):
    client.login("worker")
    answer = client.post_form(
        "/notifications/settings",
        {"email": "", "reminder_minutes": "lots", "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert answer.status_code == 400
    assert "提醒时间要在开始前 0 到 1440 分钟之间。" in answer.get_data(as_text=True)
    assert db.session.get(NotificationSettings, world.worker.id) is None


def test_verify_link_confirms_the_address_and_a_forged_one_is_404(client, world, app):
    with app.test_request_context():
        notices.save_settings(world.worker, "me@example.test", True, True, True, 60, "22:00", "07:00")
        token = notices._serializer(notices.VERIFY_SALT, timed=True).dumps(
            {"u": world.worker.id, "e": "me@example.test"}
        )
    assert client.get(f"/notifications/verify/{token}").status_code == 200
    db.session.expire_all()
    assert db.session.get(NotificationSettings, world.worker.id).email_verified_at is not None
    assert client.get("/notifications/verify/forged").status_code == 404


def test_unsubscribe_link_works_without_signing_in_one_click_too(client, world, app):
    with app.test_request_context():
        token = notices.unsubscribe_token(world.worker.id)
    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200 and 'data-testid="unsubscribe"' in page.get_data(as_text=True)
    assert (
        client.http.post(f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code
        == 200
    )
    assert db.session.get(NotificationSettings, world.worker.id).email_on is False
    assert client.http.post("/notifications/unsubscribe/forged").status_code == 404


def test_push_subscribe_and_unsubscribe(client, world):
    client.login("worker")
    key = client.get("/notifications/push/key").get_json()["key"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{87}", key)  # a P-256 point, uncompressed, base64url
    token = client.csrf("/notifications/settings")
    sub = {"endpoint": "https://push.example.test/abc", "keys": {"p256dh": "BPk", "auth": "x1"}}
    answer = client.http.post("/notifications/push/subscribe", json=sub, headers={"X-CSRFToken": token})
    assert answer.status_code == 201
    assert [s.endpoint for s in db.session.scalars(select(PushSubscription))] == [sub["endpoint"]]
    bad = client.http.post("/notifications/push/subscribe", json={"endpoint": 5}, headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_subscription"
    assert client.http.post("/notifications/push/subscribe", json=sub).status_code == 400  # no CSRF token
    gone = client.http.post(
        "/notifications/push/unsubscribe", json={"endpoint": sub["endpoint"]}, headers={"X-CSRFToken": token}
    )
    assert gone.status_code == 200 and db.session.scalar(select(PushSubscription)) is None


def signed_in(app, username):
    from tests.helpers import WebClient

    client = WebClient(app)
    client.login(username)
    return client


def test_dead_letters_page_for_staff_only_and_retry(app, world):
    from booking.reservations import services

    notices.subscribe_push(
        world.worker, {"endpoint": "https://push.example.test/x", "keys": {"p256dh": "a", "auth": "b"}}
    )
    r = services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    m = db.session.scalar(select(OutboxMessage))
    m.status, m.attempts, m.last_error = "dead", 6, "push: 500"
    db.session.commit()
    assert signed_in(app, "worker").get("/notifications/outbox").status_code == 404
    other = signed_in(app, "other_staff").get("/notifications/outbox").get_data(as_text=True)
    assert 'data-testid="dead-letter"' not in other
    client = signed_in(app, "staff")
    page = client.get("/notifications/outbox").get_data(as_text=True)
    assert f'data-id="{m.id}"' in page and "push: 500" in page
    assert (
        client.post_form(f"/notifications/outbox/{m.id}/retry", {}, csrf_from="/notifications/outbox").status_code
        == 302
    )
    db.session.expire_all()
    assert (db.session.get(OutboxMessage, m.id).status, r.id) == ("pending", m.reservation_id)


def test_a_bad_address_changes_no_other_setting(client, world):
    client.login("worker")
    answer = client.post_form(
        "/notifications/settings",
        {"email": "not-an-address", "reminder_minutes": "15", "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert answer.status_code == 400 and "请填写正确的邮箱地址。" in answer.get_data(as_text=True)
    assert db.session.get(NotificationSettings, world.worker.id) is None
    assert db.session.scalar(select(OutboxMessage)) is None


def test_without_email_on_the_server_the_stored_address_is_kept(client, world, app):
    db.session.add(
        NotificationSettings(
            user_id=world.worker.id,
            email="worker@demo.invalid",
            email_verified_at=w.NOW,
            email_on=True,
            push_on=True,
            wecom_on=True,
            reminder_minutes=60,
            quiet_start=22 * 60,
            quiet_end=7 * 60,
        )
    )
    db.session.commit()
    app.config.pop("MAIL_URL")
    client.login("worker")
    assert 'name="email"' not in client.get("/notifications/settings").get_data(as_text=True)
    assert (
        client.post_form(
            "/notifications/settings",
            {"push_on": "y", "reminder_minutes": "45", "quiet_start": "22:00", "quiet_end": "07:00"},
        ).status_code
        == 302
    )
    db.session.expire_all()
    s = db.session.get(NotificationSettings, world.worker.id)
    assert (s.email, s.email_verified_at is not None, s.email_on, s.reminder_minutes, s.wecom_on) == (
        "worker@demo.invalid",
        True,
        True,
        45,
        True,
    )


def test_wecom_account_set_when_the_server_offers_wecom(client, world, app):
    app.config.update(WECOM_CORP_ID="corp", WECOM_AGENT_ID="1", WECOM_SECRET="s")
    client.login("worker")
    assert 'name="wecom_user"' in client.get("/notifications/settings").get_data(as_text=True)
    bad = client.post_form(
        "/notifications/settings",
        {
            "wecom_on": "y",
            "wecom_user": "张 三",
            "reminder_minutes": "60",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert bad.status_code == 400 and db.session.get(NotificationSettings, world.worker.id) is None
    assert (
        client.post_form(
            "/notifications/settings",
            {"wecom_user": "ZhangSan", "reminder_minutes": "60", "quiet_start": "22:00", "quiet_end": "07:00"},
        ).status_code
        == 302
    )
    s = db.session.get(NotificationSettings, world.worker.id)
    assert (s.wecom_user, s.wecom_on) == ("ZhangSan", False)
