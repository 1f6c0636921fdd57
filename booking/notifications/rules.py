"""Pure rules of notifications: which events, backoff, quiet hours, the mail URL."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

# Events that reach someone; the in-app list shows those the notifications table knows.
EVENTS = (
    "confirmed",
    "approved",
    "rejected",
    "cancelled_by_host",
    "reminder",
    "no_show",
    "suspended",
    "suspension_ended",
    "join_approved",
    "pending_digest",
    "verify_email",
    "waitlist_booked",
    "waitlist_offered",
    "waitlist_expiring",
    "waitlist_expired",
    "waitlist_skipped",
    "draw_won",
    "draw_waitlisted",
    "draw_refused",
)
# Also a row in the in-app list (the notifications table's kinds).
IN_APP = (
    "approved",
    "rejected",
    "cancelled_by_host",
    "waitlist_booked",
    "waitlist_offered",
    "waitlist_expired",
    "waitlist_skipped",
    "draw_won",
    "draw_waitlisted",
)
# Sent whatever the quiet hours: the person asked for it, or it is due now (an offered place is
# held for minutes: told at 07:00, it would be gone).
URGENT = ("reminder", "verify_email", "waitlist_offered", "waitlist_expiring")
# Events with a booking's .ics attached to the email.
WITH_ICS = ("confirmed", "approved", "waitlist_booked", "draw_won")
# A booking made for the waitlist or the draw is told once, as that: its "confirmed" message,
# written moments before in the same transaction, gives way.
SUPERSEDES = {"waitlist_booked": "confirmed", "draw_won": "confirmed"}

MAX_ATTEMPTS = 6  # then the message is dead (the dead-letter list)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
STUCK_AFTER = timedelta(minutes=10)  # a claim older than this: its runner died mid-send
DIGEST_EVERY = timedelta(minutes=30)
OFFER_REMINDER = timedelta(minutes=5)  # before an offered place is passed on


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure: 30 s, 1 min, 2 min, ... at most 1 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def in_quiet_hours(minute: int, start: int, end: int) -> bool:
    """Is this minute of the local day inside [start, end)? The range may wrap midnight."""
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def quiet_until(local_now: datetime, start: int, end: int) -> datetime | None:
    """The local instant the quiet hours end, or None when not quiet now."""
    minute = local_now.hour * 60 + local_now.minute
    if not in_quiet_hours(minute, start, end):
        return None
    wait = (end - minute) % 1440
    return (local_now + timedelta(minutes=wait)).replace(second=0, microsecond=0)


def reminder_due(start_at: datetime, now: datetime, lead_minutes: int) -> bool:
    """A reminder goes out once the lead time before the start is reached, until the start."""
    return lead_minutes > 0 and start_at - timedelta(minutes=lead_minutes) <= now < start_at


def offer_reminder_due(offered_at: datetime, expires_at: datetime, now: datetime) -> bool:
    """A reminder that an offer runs out: OFFER_REMINDER before its end, or a third of the offer
    before when the offer is shorter than three times that (never at the moment it is made)."""
    lead = min(OFFER_REMINDER, (expires_at - offered_at) / 3)
    return expires_at - lead <= now < expires_at


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    ssl: bool


def parse_mail_url(url: str) -> MailServer:
    """smtp://[user:pass@]host:port[?starttls=1|ssl=1]"""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("MAIL_URL must look like smtp://[user:pass@]host:port[?starttls=1|ssl=1]")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    ssl = parts.scheme == "smtps" or query.get("ssl") == "1"
    return MailServer(
        host=parts.hostname,
        port=parts.port or (465 if ssl else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=query.get("starttls") == "1",
        ssl=ssl,
    )
