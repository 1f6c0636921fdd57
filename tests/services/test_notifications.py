"""Notifications through the outbox, against real peers on loopback (SQLite and PostgreSQL):
an SMTP server, a Web Push receiver that checks VAPID and decrypts, a WeCom API server."""

import json
import re
from datetime import timedelta

import pytest
import vobject
from sqlalchemy import func, select

from booking import timeutil
from booking.database import write_transaction
from booking.delivery import events
from booking.delivery import services as dead_letters
from booking.delivery.send import deliver_due
from booking.errors import Conflict
from booking.extensions import db
from booking.notifications import services as notices
from booking.notifications.models import NotificationSettings, OutboxMessage, PushSubscription
from booking.reservations import services
from booking.reservations.models import Notification
from tests import factories
from tests import world as w
from tests.notify_peers import SmtpSink, free_port


@pytest.fixture
def app_config(peers_config):
    return peers_config


@pytest.fixture
def world(ctx):
    return w.build()


def verified(user, email=None, locale=None):
    db.session.add(
        NotificationSettings(
            user_id=user.id,
            email=email or f"{user.username}@demo.invalid",
            email_verified_at=w.NOW,
            email_on=True,
            push_on=True,
            wecom_on=True,
            reminder_minutes=60,
            quiet_start=22 * 60,
            quiet_end=7 * 60,
        )
    )
    if locale:
        user.locale = locale
    db.session.commit()


def outbox(**where):
    return list(db.session.scalars(select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)))


def test_confirmation_reaches_email_push_and_wecom(world, smtp, push, wecom):
    verified(world.worker, locale="en")
    notices.subscribe_push(world.worker, push.new_subscription("worker-phone"))
    r = services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    assert sorted(m.channel for m in outbox()) == ["email", "push", "wecom"]
    done = deliver_due(w.NOW)
    assert [m.last_error for m in outbox()] == [None] * 3
    assert (done["sent"], done["pending"], done["dead"]) == (3, 0, 0)
    assert {m.status for m in outbox()} == {"sent"}

    ((rcpts, mail),) = smtp.messages
    assert rcpts == ["worker@demo.invalid"]
    assert mail["Subject"] == "Booking confirmed: 健身房"
    assert mail["From"] == "Shared Venues <noreply@venues.test>"
    assert "worker@demo.invalid" in mail["To"]
    unsubscribe = mail["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("https://venues.test/notifications/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "健身房, 春晓基地 on 2026-11-25 19:00" in text and r.code in text and unsubscribe in text
    assert f"https://venues.test/bookings/{r.id}" in html and unsubscribe in html
    (attachment,) = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    event = vobject.readOne(attachment.get_content()).vevent
    assert event.uid.value == f"reservation-{r.id}@shared-venues"
    assert event.dtstart.value.astimezone(timeutil.zone(w.TZ)).strftime("%Y-%m-%d %H:%M") == "2026-11-25 19:00"
    assert event.status.value == "CONFIRMED"

    (delivered,) = push.received
    assert push.errors == []
    assert delivered["payload"]["title"] == "Booking confirmed: 健身房"
    assert delivered["payload"]["url"] == f"https://venues.test/bookings/{r.id}"
    assert delivered["vapid"]["claims"]["sub"] == "mailto:ops@venues.test"
    assert delivered["payload"]["body"].startswith("Your booking at 健身房, 春晓基地 on 2026-11-25 19:00 is confirmed.")

    (card,) = wecom.received
    assert wecom.errors == []
    assert card["touser"] == "worker" and card["textcard"]["url"] == f"https://venues.test/bookings/{r.id}"
    assert card["textcard"]["title"] == "Booking confirmed: 健身房"
    assert card["textcard"]["description"] == delivered["payload"]["body"] and card["textcard"]["btntxt"] == "View"


def test_email_in_chinese_by_default(world, smtp):
    verified(world.worker)
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    services.decide(world.staff, r.id, approve=False, reason="场地维修", now=w.NOW)
    deliver_due(w.NOW)
    ((_, mail),) = smtp.messages
    assert mail["Subject"] == "预约未通过：羽毛球场 1 号"
    assert "场地维修" in mail.get_body(("plain",)).get_content()
    assert not list(mail.iter_attachments())  # a rejection carries no calendar entry
    assert db.session.scalar(select(Notification.kind)) == "rejected"  # in-app, as before


def test_rolled_back_change_sends_nothing(world, smtp, wecom):
    verified(world.worker)
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    count = db.session.scalar(select(func.count(OutboxMessage.id)))
    with pytest.raises(RuntimeError), write_transaction():
        notices.notify(world.worker.id, "no_show", {}, now=w.NOW)
        assert db.session.scalar(select(func.count(OutboxMessage.id))) > count  # written, then undone
        raise RuntimeError("the change fails after its messages were written")
    with pytest.raises(Conflict):
        services.book(world.worker2, world.court.id, w.SLOT, now=w.NOW)  # full: rolled back
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == count == 0  # pending booking: no event
    assert deliver_due(w.NOW)["ids"] == []
    assert smtp.messages == [] and wecom.received == []


def test_an_address_is_verified_by_link_before_anything_else(world, smtp, app):
    app.config.pop("WECOM_CORP_ID")
    notices.save_settings(world.worker, "w1@example.test", True, True, True, 60, "22:00", "07:00", now=w.NOW)
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    assert [m.event for m in outbox()] == ["verify_email"]  # the confirmation has no channel yet
    deliver_due(w.NOW)
    ((rcpts, mail),) = smtp.messages
    assert rcpts == ["w1@example.test"]
    link = re.search(r"https://venues\.test/notifications/verify/(\S+)", mail.get_body(("plain",)).get_content())
    notices.verify_email(link[1], now=w.NOW)
    services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    assert [m.event for m in outbox(channel="email")] == ["verify_email", "confirmed"]


def test_a_channel_that_fails_three_times_then_recovers_delivers_once(world, smtp, app):
    app.config.pop("WECOM_CORP_ID")
    verified(world.worker)
    smtp.fail_next = 3
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    now, delays = w.NOW, []
    for _ in range(4):
        deliver_due(now)
        (m,) = outbox()
        if m.status == "sent":
            break
        delays.append(m.next_attempt_at - now)
        assert deliver_due(now)["ids"] == []  # not due again before its backoff
        now = m.next_attempt_at
    assert smtp.refused == 3 and len(smtp.messages) == 1
    assert (m.status, m.attempts) == ("sent", 4)
    assert delays == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert deliver_due(now + timedelta(hours=1))["ids"] == [] and len(smtp.messages) == 1


def test_a_dead_channel_never_blocks_the_others(world, smtp, push, app):
    app.config["WECOM_BASE_URL"] = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    verified(world.worker)
    notices.subscribe_push(world.worker, push.new_subscription("phone"))
    r = services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    deliver_due(w.NOW)
    assert len(smtp.messages) == 1 and len(push.received) == 1
    now = w.NOW
    for _ in range(10):
        now += timedelta(hours=2)
        deliver_due(now)
    (dead,) = outbox(channel="wecom")
    assert (dead.status, dead.attempts) == ("dead", 6)
    assert [m.id for m in dead_letters.dead_letters(world.staff)] == [dead.id]
    assert dead_letters.dead_letters(world.other_staff) == []
    dead_letters.retry_dead(world.staff, dead.id, now=now)
    assert outbox(channel="wecom")[0].status == "pending"
    assert len(smtp.messages) == 1 and len(push.received) == 1 and r.status == "confirmed"


def test_wecom_token_is_fetched_once_and_cached(world, wecom, app):
    app.config.pop("MAIL_URL")
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    services.decide(world.staff, r.id, approve=True, now=w.NOW)
    services.book(world.worker2, world.gym.id, w.SLOT, now=w.NOW)
    deliver_due(w.NOW)
    assert len(wecom.received) == 2 and wecom.errors == []
    assert wecom.token_calls == 1
    assert {c["touser"] for c in wecom.received} == {"worker", "worker2"}


def test_a_gone_push_subscription_is_forgotten(world, push, app):
    verified(world.worker)
    app.config.pop("WECOM_CORP_ID")
    app.config.pop("MAIL_URL")
    notices.subscribe_push(world.worker, push.new_subscription("old"))
    notices.subscribe_push(world.worker, push.new_subscription("new"))
    push.devices["/push/old"]["gone"] = True
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    deliver_due(w.NOW)
    assert [d["path"] for d in push.received] == ["/push/new"]
    assert [s.endpoint for s in db.session.scalars(select(PushSubscription))] == [push.base + "/push/new"]


def test_quiet_hours_hold_messages_but_not_reminders(world, app):
    app.config.pop("MAIL_URL")
    late = w.local(2026, 11, 24, 23, 0)
    r = services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    services.decide(world.staff, r.id, approve=True, now=late)
    (approved,) = outbox(event="approved")
    assert approved.next_attempt_at == w.local(2026, 11, 25, 7, 0)
    notices.save_settings(world.worker, "", True, True, True, 120, "22:00", "07:00")
    start = w.local(2026, 11, 26, 8, 0)
    r2 = services.book(world.worker, world.gym.id, start, now=w.NOW)
    early = start - timedelta(minutes=150)  # 05:30, quiet
    assert events.queue_reminders(early) == 0  # 150 minutes ahead: not yet
    assert events.queue_reminders(early + timedelta(minutes=31)) == 1
    assert events.queue_reminders(early + timedelta(minutes=32)) == 0  # once
    (reminder,) = outbox(event="reminder")
    assert (reminder.reservation_id, reminder.next_attempt_at) == (r2.id, early + timedelta(minutes=31))


def test_staff_digest_at_most_every_30_minutes(world, app):
    app.config.pop("MAIL_URL")
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert events.queue_pending_digests(w.NOW) == 1
    assert events.queue_pending_digests(w.NOW + timedelta(minutes=29)) == 0
    assert events.queue_pending_digests(w.NOW + timedelta(minutes=31)) == 1
    (first, second) = outbox(event="pending_digest")
    assert first.user_id == second.user_id == world.staff.id
    assert json.loads(first.context) == {"n": 1}


def test_unsubscribe_link_turns_email_off(world, smtp, app):
    app.config.pop("WECOM_CORP_ID")
    verified(world.worker)
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    deliver_due(w.NOW)
    token = smtp.messages[0][1]["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
    notices.unsubscribe(token)
    services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    assert len(outbox(channel="email")) == 1


def test_host_cancel_no_show_suspension_and_join_each_notify(world, app):
    from booking.accounts.services import decide_join
    from booking.quotas.models import NoShowPolicy
    from booking.reservations.no_shows import release_no_shows

    app.config.pop("MAIL_URL")
    r = services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    services.host_cancel(world.staff, r.id, "漏水维修", now=w.NOW)
    db.session.add(NoShowPolicy(host_id=world.host.id, no_show_limit=1, within_days=30, suspend_days=7))
    db.session.commit()
    r2 = services.book(world.worker2, world.gym.id, w.SLOT, now=w.NOW)
    release_no_shows(now=w.SLOT + timedelta(hours=2))
    newcomer = factories.user("newbie", world.ent, status="pending")
    decide_join(world.admin, newcomer.id, approve=True)
    got = [(m.user_id, m.event, m.reservation_id, json.loads(m.context)) for m in outbox(channel="wecom")]
    assert got == [
        (world.worker.id, "confirmed", r.id, {}),
        (world.worker.id, "cancelled_by_host", r.id, {"reason": "漏水维修"}),
        (world.worker2.id, "confirmed", r2.id, {}),
        (world.worker2.id, "no_show", r2.id, {}),
        (world.worker2.id, "suspended", None, {"n": 1, "host": "吉利春晓", "until": "2026-12-02"}),
        (newcomer.id, "join_approved", None, {"enterprise": "海顺模具"}),
    ]
    assert (
        db.session.scalar(select(Notification.kind).where(Notification.reservation_id == r.id)) == "cancelled_by_host"
    )
    rendered = deliver_due(timeutil.utcnow() + timedelta(days=1))  # the join was approved "now"
    assert [m.last_error for m in outbox(channel="wecom")] == [None] * 6
    assert rendered["sent"] == 6 and rendered["dead"] == 0


def test_email_off_without_mail_url_said_once_in_the_log(world, app, caplog, monkeypatch):
    from booking.notifications import channels

    monkeypatch.setattr(channels.log, "disabled", False)  # alembic's fileConfig (migrations) disabled it
    app.config.pop("MAIL_URL")
    channels._said.discard("email")
    verified(world.worker)
    with caplog.at_level("WARNING"):
        services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
        services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    assert [m.channel for m in outbox()] == ["wecom", "wecom"]
    assert [r.getMessage() for r in caplog.records].count("MAIL_URL is not set: email notifications are off") == 1


def test_a_claim_whose_runner_died_goes_to_the_dead_letters_not_out_twice(world, smtp, app):
    from booking.delivery.send import claim

    app.config.pop("WECOM_CORP_ID")
    verified(world.worker)
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    (message,) = outbox()
    assert claim(w.NOW, 10, "runner-that-dies") == [message.id]
    assert deliver_due(w.NOW + timedelta(minutes=5))["ids"] == []  # still claimed: left alone
    assert deliver_due(w.NOW + timedelta(minutes=11))["dead"] == 1
    db.session.expire_all()
    assert (outbox()[0].status, smtp.messages) == ("dead", [])
    assert [m.id for m in dead_letters.dead_letters(world.staff)] == [message.id]


def test_wecom_token_refused_as_expired_is_fetched_again(world, wecom, app):
    from booking.notifications.channels import wecom as wecom_channel

    app.config.pop("MAIL_URL")
    wecom_channel._tokens.clear()
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    deliver_due(w.NOW)
    wecom.tokens.clear()  # WeCom ended the token early (40014 on the next send)
    services.book(world.worker2, world.gym.id, w.SLOT, now=w.NOW)
    deliver_due(w.NOW)
    assert wecom.token_calls == 2 and len(wecom.received) == 2
    assert {m.status for m in outbox()} == {"sent"}


def test_email_over_starttls_with_login(world, app, tmp_path, monkeypatch):
    """MAIL_URL with user:pass and ?starttls=1: the server's certificate is checked against the
    system's trust store (here SSL_CERT_FILE, as OpenSSL reads it), then AUTH over TLS."""
    import ssl

    from tests.notify_peers import self_signed

    cert, key = self_signed(str(tmp_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = SmtpSink(tls=context, login=("mailer@corp", "p:ss word")).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", cert)
        app.config.pop("WECOM_CORP_ID")
        app.config["MAIL_URL"] = f"smtp://mailer%40corp:p%3Ass%20word@127.0.0.1:{sink.port}?starttls=1"
        verified(world.worker)
        services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
        assert deliver_due(w.NOW)["sent"] == 1
        assert len(sink.messages) == 1 and [ok for _, _, ok in sink.logins] == [True]

        app.config["MAIL_URL"] = f"smtp://mailer%40corp:wrong@127.0.0.1:{sink.port}?starttls=1"
        services.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)
        deliver_due(w.NOW)
        failed = outbox()[-1]
        assert (failed.status, len(sink.messages)) == ("pending", 1) and "535" in failed.last_error
    finally:
        sink.stop()


def test_an_ended_suspension_is_told_once(world, app):
    from booking.quotas.models import Suspension

    app.config.pop("MAIL_URL")
    db.session.add(
        Suspension(
            user_id=world.worker.id,
            host_id=world.host.id,
            starts_at=w.NOW - timedelta(days=7),
            ends_at=w.NOW,
            no_shows=3,
        )
    )
    db.session.commit()
    assert events.queue_suspension_ends(w.NOW - timedelta(minutes=1)) == 0  # not over yet
    assert events.queue_suspension_ends(w.NOW + timedelta(minutes=1)) == 1
    assert events.queue_suspension_ends(w.NOW + timedelta(minutes=2)) == 0  # once
    (m,) = outbox(event="suspension_ended")
    assert (m.user_id, json.loads(m.context)) == (world.worker.id, {"host": "吉利春晓"})
    assert deliver_due(w.NOW + timedelta(minutes=2))["sent"] == 1


def test_wecom_goes_to_the_persons_wecom_account(world, wecom, app):
    app.config.pop("MAIL_URL")
    notices.save_settings(world.worker, "", True, True, True, 60, "00:00", "00:00", wecom_user="ZhangSan")
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    deliver_due(w.NOW)
    assert [c["touser"] for c in wecom.received] == ["ZhangSan"] and wecom.errors == []
