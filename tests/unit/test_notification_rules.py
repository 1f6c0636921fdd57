"""Pure rules of notifications: backoff, quiet hours, reminders, the mail URL."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from booking.notifications import rules


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [rules.retry_delay(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


@pytest.mark.parametrize(
    "minute, quiet",
    [
        (21 * 60 + 59, False),
        (22 * 60, True),
        (23 * 60 + 59, True),
        (0, True),
        (6 * 60 + 59, True),
        (7 * 60, False),
        (12 * 60, False),
    ],
)
def test_quiet_hours_wrap_midnight(minute, quiet):
    assert rules.in_quiet_hours(minute, 22 * 60, 7 * 60) is quiet


def test_quiet_hours_equal_ends_mean_none_and_a_daytime_range_works():
    assert not any(rules.in_quiet_hours(m, 0, 0) for m in range(0, 1440, 7))
    assert rules.in_quiet_hours(13 * 60, 12 * 60, 14 * 60) and not rules.in_quiet_hours(14 * 60, 12 * 60, 14 * 60)


def test_quiet_until_is_the_next_end():
    tz = timezone(timedelta(hours=8))
    assert rules.quiet_until(datetime(2026, 11, 24, 23, 10, 42, tzinfo=tz), 22 * 60, 7 * 60) == datetime(
        2026, 11, 25, 7, 0, tzinfo=tz
    )
    assert rules.quiet_until(datetime(2026, 11, 25, 1, 0, tzinfo=tz), 22 * 60, 7 * 60) == datetime(
        2026, 11, 25, 7, 0, tzinfo=tz
    )
    assert rules.quiet_until(datetime(2026, 11, 25, 7, 0, tzinfo=tz), 22 * 60, 7 * 60) is None


def test_reminder_due_from_the_lead_time_until_the_start():
    start = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    assert not rules.reminder_due(start, start - timedelta(minutes=61), 60)
    assert rules.reminder_due(start, start - timedelta(minutes=60), 60)
    assert not rules.reminder_due(start, start, 60)
    assert not rules.reminder_due(start, start - timedelta(minutes=5), 0)  # 0: never


@pytest.mark.parametrize(
    "offer_minutes, minutes_in, due",
    [
        (15, 9, False),
        (15, 10, True),
        (15, 14, True),
        (15, 15, False),  # 5 minutes before the end
        (60, 54, False),
        (60, 55, True),
        (6, 3, False),
        (6, 4, True),
        (6, 5, True),  # a short offer: its last third
        (1, 0, False),  # never at the moment it is made
    ],
)
def test_offer_reminder_due_shortly_before_the_offer_ends(offer_minutes, minutes_in, due):
    offered = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    expires = offered + timedelta(minutes=offer_minutes)
    assert rules.offer_reminder_due(offered, expires, offered + timedelta(minutes=minutes_in)) is due


def test_mail_url_forms():
    plain = rules.parse_mail_url("smtp://127.0.0.1:8025")
    assert (plain.host, plain.port, plain.username, plain.starttls, plain.ssl) == (
        "127.0.0.1",
        8025,
        None,
        False,
        False,
    )
    tls = rules.parse_mail_url("smtp://user%40corp:p%3Ass@mail.example.org:587?starttls=1")
    assert (tls.username, tls.password, tls.port, tls.starttls) == ("user@corp", "p:ss", 587, True)
    ssl = rules.parse_mail_url("smtp://mail.example.org?ssl=1")
    assert (ssl.port, ssl.ssl) == (465, True)
    with pytest.raises(ValueError):
        rules.parse_mail_url("http://mail.example.org")
