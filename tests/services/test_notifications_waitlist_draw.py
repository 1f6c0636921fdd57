"""Waitlist and draw events reach the worker through the outbox, like every other event: the
in-app row as before, and one message per channel the person has on, in the same transaction
(SQLite and PostgreSQL; email read back from a real SMTP server on loopback)."""

import json
from datetime import timedelta

import pytest
import vobject
from sqlalchemy import func, select

from booking.delivery import events
from booking.delivery.send import deliver_due
from booking.draw import services as draws
from booking.draw.models import Application
from booking.extensions import db
from booking.notifications import rules
from booking.notifications import services as notices
from booking.notifications.models import NotificationSettings, OutboxMessage
from booking.reservations import services as reservations
from booking.reservations.models import Notification
from booking.waitlist import services as waitlist
from booking.waitlist.models import WaitlistEntry
from tests import factories as f
from tests import world as w

# A draw slot: Friday 19:00, drawn Wednesday 12:00 (tests/services/test_draw.py).
DRAW_SLOT = w.local(2026, 11, 27, 19)
AFTER_DRAW = w.local(2026, 11, 25, 12, 1)


@pytest.fixture
def app_config(peers_config):
    return peers_config


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False, gym_capacity=2)
    world.worker3 = f.user("worker3", world.ent)
    return world


def settings(user, email=True, push=True, wecom=True, locale=None, quiet=(22 * 60, 7 * 60)):
    db.session.add(
        NotificationSettings(
            user_id=user.id,
            email=f"{user.username}@demo.invalid",
            email_verified_at=w.NOW,
            email_on=email,
            push_on=push,
            wecom_on=wecom,
            reminder_minutes=60,
            quiet_start=quiet[0],
            quiet_end=quiet[1],
        )
    )
    if locale:
        user.locale = locale
    db.session.commit()


def outbox(**where):
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)))


def in_app(user):
    return [
        n.kind
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def mails_to(smtp, user):
    return [mail for rcpts, mail in smtp.messages if rcpts == [f"{user.username}@demo.invalid"]]


def test_every_waitlist_and_draw_event_is_an_outbox_event_with_words_in_both_languages(app):
    from flask_babel import force_locale

    from booking.delivery.render import BODIES, SUBJECTS

    events_here = (
        "waitlist_booked",
        "waitlist_offered",
        "waitlist_expiring",
        "waitlist_expired",
        "waitlist_skipped",
        "draw_won",
        "draw_waitlisted",
        "draw_refused",
    )
    assert set(events_here) <= set(rules.EVENTS)
    with app.test_request_context("/"):
        for event in events_here:
            with force_locale("en"):
                english = (str(SUBJECTS[event]), str(BODIES[event]))
            with force_locale("zh"):
                chinese = (str(SUBJECTS[event]), str(BODIES[event]))
            assert english != chinese and all(any("\u4e00" <= c <= "\u9fff" for c in t) for t in chinese), event


def test_freed_place_booked_from_the_line_is_told_once_per_channel_with_its_calendar(world, smtp, push, wecom):
    settings(world.worker, locale="en")
    notices.subscribe_push(world.worker, push.new_subscription("phone"))
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = waitlist.join(world.worker, world.court.id, w.SLOT, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    booked = db.session.get(WaitlistEntry, e.id)
    mine = outbox(user_id=world.worker.id)
    # One message per channel, as the waitlist's news: the booking's own "confirmed" gave way.
    assert sorted((m.event, m.channel) for m in mine) == [
        ("waitlist_booked", "email"),
        ("waitlist_booked", "push"),
        ("waitlist_booked", "wecom"),
    ]
    assert {m.reservation_id for m in mine} == {booked.reservation_id}
    assert in_app(world.worker) == ["waitlist_booked"]
    deliver_due(w.NOW)
    (mail,) = mails_to(smtp, world.worker)
    assert mail["Subject"] == "A place freed up: you are booked at 羽毛球场 1 号"
    text = mail.get_body(("plain",)).get_content()
    r = booked.reservation
    assert f"羽毛球场 1 号, 春晓基地 on 2026-11-25 19:00 and you are booked. Check-in code: {r.code}." in text
    assert f"https://venues.test/bookings/{r.id}" in text
    (attachment,) = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert vobject.readOne(attachment.get_content()).vevent.uid.value == f"reservation-{r.id}@shared-venues"
    (delivered,) = push.received
    assert delivered["payload"]["title"] == mail["Subject"]
    (card,) = [c for c in wecom.received if c["touser"] == "worker"]
    assert card["textcard"]["url"] == f"https://venues.test/bookings/{r.id}"


def test_an_offer_says_until_when_the_place_is_held_and_links_to_accept(world, smtp):
    settings(world.worker)  # Chinese, the default
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = waitlist.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    assert [m.channel for m in outbox(event="waitlist_offered")] == ["email", "wecom"]  # no push subscription
    assert in_app(world.worker) == ["waitlist_offered"]
    deliver_due(w.NOW)
    db.session.expire_all()
    (mail,) = mails_to(smtp, world.worker)
    until = "10:15"  # NOW is 10:00 in Shanghai; the host's offer time is 15 minutes
    assert mail["Subject"] == f"有空位为您保留，请在 {until} 前接受：羽毛球场 1 号"
    text = mail.get_body(("plain",)).get_content()
    assert f"春晓基地 羽毛球场 1 号（2026-11-25 19:00）有空位了，为您保留到 {until}。" in text
    assert "https://venues.test/waitlist/" in text and "接受" in mail.get_body(("html",)).get_content()
    assert db.session.get(WaitlistEntry, e.id).status == "offered"


def test_offer_expiring_reminder_once_per_entry_shortly_before_and_not_after_accepting(world, smtp, app):
    app.config.pop("WECOM_CORP_ID")
    settings(world.worker, locale="en")
    settings(world.worker2, locale="en")
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = waitlist.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    assert events.queue_offer_reminders(w.NOW + timedelta(minutes=9)) == 0  # 6 minutes left: not yet
    assert events.queue_offer_reminders(w.NOW + timedelta(minutes=10)) == 1  # 5 minutes left
    assert events.queue_offer_reminders(w.NOW + timedelta(minutes=11)) == 0  # once per entry
    (reminder,) = outbox(event="waitlist_expiring")
    assert (reminder.user_id, reminder.dedupe_key) == (world.worker.id, f"offer_expiring:{e.id}")
    assert json.loads(reminder.context) == {"waitlist_entry_id": e.id}
    deliver_due(w.NOW + timedelta(minutes=10))
    subjects = [m["Subject"] for m in mails_to(smtp, world.worker)]
    assert subjects == [
        "A place is yours if you accept by 10:15: 羽毛球场 1 号",
        "Your offer runs out at 10:15: 羽毛球场 1 号",
    ]
    assert in_app(world.worker) == ["waitlist_offered"]  # the reminder is not a second in-app row

    # The next offer is accepted before its reminder is delivered: the reminder is not sent.
    other = reservations.book(world.admin, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    e2 = waitlist.join(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), auto_book=False, now=w.NOW)
    reservations.cancel(world.admin, other.id, now=w.NOW)
    assert events.queue_offer_reminders(w.NOW + timedelta(minutes=10)) == 1
    waitlist.accept(world.worker2, e2.id, now=w.NOW + timedelta(minutes=10))
    deliver_due(w.NOW + timedelta(minutes=11))
    # Accepted before delivery: only the booking's confirmation goes out.
    assert [m["Subject"] for m in mails_to(smtp, world.worker2)] == ["Booking confirmed: 羽毛球场 1 号"]
    (offer, expiring) = outbox(user_id=world.worker2.id, channel="email")[:2]
    assert (offer.event, offer.status, offer.last_error) == (
        "waitlist_offered",
        "sent",
        "skipped: the offer is no longer open",
    )
    assert (expiring.event, expiring.status, expiring.last_error) == (
        "waitlist_expiring",
        "sent",
        "skipped: the offer is no longer open",
    )


def test_offer_ran_out_and_skipped_entries_are_told_with_the_reason_in_words(ctx, smtp, app):
    app.config.pop("WECOM_CORP_ID")
    world = w.build(court_approval=False, per_worker=1)
    settings(world.worker, locale="en")
    settings(world.worker2, locale="en")
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = waitlist.join(world.worker, world.court.id, w.SLOT, now=w.NOW)
    e2 = waitlist.join(world.worker2, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    reservations.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)  # uses the cap
    reservations.cancel(world.admin, first.id, now=w.NOW)
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, e.id).status == "skipped"
    waitlist.expire_offers(w.NOW + timedelta(minutes=16))
    db.session.expire_all()
    assert db.session.get(WaitlistEntry, e2.id).status == "expired"
    assert in_app(world.worker)[-1] == "waitlist_skipped"
    assert in_app(world.worker2) == ["waitlist_offered", "waitlist_expired"]
    deliver_due(w.NOW + timedelta(minutes=16))
    skipped = mails_to(smtp, world.worker)[-1]
    assert skipped["Subject"] == "You left the waitlist: 羽毛球场 1 号"
    text = skipped.get_body(("plain",)).get_content()
    assert "Reason: you reached your bookings for the week" in text and "worker_limit" not in text
    expired = mails_to(smtp, world.worker2)[-1]
    assert expired["Subject"] == "Your offer ran out: 羽毛球场 1 号"
    assert "It went to the next in line." in expired.get_body(("plain",)).get_content()


def test_draw_results_won_waitlisted_and_refused_each_reach_the_worker(world, smtp, app):
    app.config.pop("WECOM_CORP_ID")
    for user in (world.worker, world.worker2, world.worker3):
        settings(user, locale="en")
    world.gym.allocation, world.gym.capacity = "draw", 3  # every application is reached
    db.session.commit()
    gym = [draws.apply(u, world.gym.id, DRAW_SLOT, now=w.NOW) for u in (world.worker, world.worker2, world.worker3)]
    reservations.book(world.worker2, world.court.id, DRAW_SLOT, now=w.NOW)  # worker2 now overlaps
    world.court.allocation = "draw"  # one place, two applicants: one won, one waitlisted
    db.session.commit()
    court = [
        draws.apply(u, world.court.id, DRAW_SLOT + timedelta(hours=1), now=w.NOW) for u in (world.worker, world.worker3)
    ]
    assert draws.run_due(AFTER_DRAW) == 2
    db.session.expire_all()
    status = {a.id: db.session.get(Application, a.id).status for a in gym + court}
    assert [status[a.id] for a in gym] == ["won", "refused", "won"]
    assert sorted(status[a.id] for a in court) == ["waitlisted", "won"]
    court_winner, court_waiting = sorted(court, key=lambda a: status[a.id] == "waitlisted")
    deliver_due(AFTER_DRAW)
    subjects = {u: [m["Subject"] for m in mails_to(smtp, u)] for u in (world.worker, world.worker2, world.worker3)}
    assert subjects[world.worker2][-1] == "Drawn, but not booked: 健身房"
    refused = mails_to(smtp, world.worker2)[-1].get_body(("plain",)).get_content()
    assert "Reason: you have another booking at that time" in refused
    assert f"https://venues.test/draw/{gym[0].draw_id}" in refused
    winner = world.worker if court_winner.user_id == world.worker.id else world.worker3
    loser = world.worker3 if winner is world.worker else world.worker
    # Each winner's booking is told once, as the draw's result (no "Booking confirmed" besides).
    assert sorted(subjects[winner]) == ["You won the draw: 健身房", "You won the draw: 羽毛球场 1 号"]
    assert sorted(subjects[loser]) == ["Not drawn this time: 羽毛球场 1 号", "You won the draw: 健身房"]
    won = mails_to(smtp, winner)[0]
    text = won.get_body(("plain",)).get_content()
    assert "You won the draw for 健身房, 春晓基地 on 2026-11-27 19:00 and you are booked." in text
    assert [p.get_content_type() for p in won.iter_attachments()] == ["text/calendar"]
    waiting = [m for m in mails_to(smtp, loser) if m["Subject"].startswith("Not drawn")][0]
    assert "You are on the waitlist in draw order" in waiting.get_body(("plain",)).get_content()
    assert "https://venues.test/waitlist/" in waiting.get_body(("plain",)).get_content()
    assert in_app(winner) == ["draw_won", "draw_won"] and in_app(loser) == ["draw_won", "draw_waitlisted"]
    assert in_app(world.worker2) == []  # a refusal has no in-app kind (as before); it comes by its channels
    assert court_waiting.user_id == loser.id


def test_channels_and_preferences_decide_which_messages_a_waitlist_event_writes(world, app):
    settings(world.worker, email=False, push=True, wecom=True)  # push on but no subscription
    settings(world.worker2, email=True, push=False, wecom=False)
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = waitlist.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    assert [(m.channel, m.event) for m in outbox(user_id=world.worker.id)] == [("wecom", "waitlist_offered")]
    waitlist.cancel(world.worker, e.id, now=w.NOW)  # declines: the place goes to nobody yet
    other = reservations.book(world.admin, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    waitlist.join(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    reservations.cancel(world.admin, other.id, now=w.NOW)
    assert [(m.channel, m.event) for m in outbox(user_id=world.worker2.id)] == [("email", "waitlist_booked")]
    app.config.pop("MAIL_URL")  # email not configured on this server: no email row at all
    other = reservations.book(world.admin, world.court.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    waitlist.join(world.worker2, world.court.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    reservations.cancel(world.admin, other.id, now=w.NOW)
    assert [(m.channel, m.event) for m in outbox(user_id=world.worker2.id)] == [("email", "waitlist_booked")]
    assert in_app(world.worker2) == ["waitlist_booked", "waitlist_booked"]


def test_quiet_hours_hold_booked_news_but_not_an_offer(world, app):
    app.config.pop("MAIL_URL")
    settings(world.worker, quiet=(0, 23 * 60 + 59))  # quiet all day long
    settings(world.worker2, quiet=(0, 23 * 60 + 59))
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    waitlist.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    (offer,) = outbox(user_id=world.worker.id)
    assert (offer.event, offer.next_attempt_at) == ("waitlist_offered", w.NOW)
    other = reservations.book(world.admin, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    waitlist.join(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    reservations.cancel(world.admin, other.id, now=w.NOW)
    (booked,) = outbox(user_id=world.worker2.id)
    assert booked.event == "waitlist_booked" and booked.next_attempt_at == w.local(2026, 11, 24, 23, 59)


def test_a_rolled_back_freeing_writes_no_waitlist_message(world, app, monkeypatch):
    from booking.reservations import hooks
    from booking.waitlist import serving

    settings(world.worker)
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = waitlist.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    serve = serving.serve_slot
    written = []

    def serve_then_fail(*args):
        written.append(serve(*args)["offered"])
        written.append(db.session.scalar(select(func.count(OutboxMessage.id))) - before)
        raise RuntimeError("the cancellation fails after the line was served")

    monkeypatch.setattr(hooks, "_place_freed", [serve_then_fail])  # the waitlist's listener, then a failure
    with pytest.raises(RuntimeError):
        reservations.cancel(world.admin, first.id, now=w.NOW)
    assert written == [1, 2]  # the offer and its email and WeCom messages were written, then undone
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    assert db.session.get(WaitlistEntry, e.id).status == "waiting"
    assert db.session.get(type(first), first.id).status == "confirmed"


def test_a_rolled_back_draw_writes_no_result_message(world, app, monkeypatch):
    settings(world.worker)
    settings(world.worker2)
    world.gym.allocation, world.gym.capacity = "draw", 1
    db.session.commit()
    apps = [draws.apply(u, world.gym.id, DRAW_SLOT, now=w.NOW) for u in (world.worker, world.worker2)]
    waitlist_one = draws._waitlist
    written = []

    def waitlist_then_fail(*args):
        waitlist_one(*args)
        written.append(sorted(m.event for m in db.session.scalars(select(OutboxMessage))))
        raise RuntimeError("the draw fails after its winner was booked and both were told")

    monkeypatch.setattr(draws, "_waitlist", waitlist_then_fail)
    with pytest.raises(RuntimeError):
        draws.run_draw(apps[0].draw_id, AFTER_DRAW)
    assert written == [["draw_waitlisted", "draw_waitlisted", "draw_won", "draw_won"]]  # email and WeCom each
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    assert {db.session.get(Application, a.id).status for a in apps} == {"applied"}
