"""Jinja filters and globals: formatting lives here, not in templates."""

from datetime import timedelta

from babel.dates import format_date
from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import timeutil
from .navigation import home_links, nav_items


def local_time(instant, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timeutil.to_local(instant, tz).strftime(fmt) if instant else ""


ROLE_LABELS = {
    "district_admin": _l("District admin"),
    "host_admin": _l("Host admin"),
    "host_staff": _l("Host staff"),
    "enterprise_admin": _l("Enterprise admin"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


# --- worker booking: labels and local formatting ------------------------------------------

STATUS_LABELS = {
    "pending": _l("Pending approval"),
    "confirmed": _l("Confirmed"),
    "checked_in": _l("Checked in"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "no_show": _l("No-show"),
}

KIND_LABELS = {
    "badminton": _l("Badminton"),
    "basketball": _l("Basketball"),
    "billiards": _l("Billiards"),
    "gym": _l("Gym"),
    "reading_room": _l("Reading room"),
    "table_tennis": _l("Table tennis"),
    "football": _l("Football"),
    "activity_room": _l("Activity room"),
    "other": _l("Other"),
}

# Why a slot cannot be booked (facilities.services.day_view's reasons).
SLOT_REASONS = {
    "closed": _l("Closed"),
    "outside_window": _l("Not bookable now"),
    "slot_full": _l("Full"),
    "not_shared": _l("Not shared with you"),
}

NOTIFICATION_LABELS = {
    "approved": _l("Your booking was approved."),
    "rejected": _l("Your booking was rejected."),
    "cancelled_by_host": _l("The host cancelled your booking."),
    "waitlist_booked": _l("A place freed up: you are booked."),
    "waitlist_offered": _l("A place freed up for you: accept it in time."),
    "waitlist_skipped": _l("You were passed over in the waitlist: you can no longer book that slot."),
    "waitlist_expired": _l("Your waitlist offer ran out."),
    "draw_won": _l("You won the draw: you are booked."),
    "draw_waitlisted": _l("You were not drawn this time: you are on the waitlist in draw order."),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def slot_reason_label(reason: str | None) -> str:
    return str(SLOT_REASONS.get(reason, "")) if reason else ""


def slot_note(slot: dict, facility, now) -> str:
    """What a slot tile says: free / places left, or why it cannot be booked."""
    reason = slot["reason"]
    if reason is None:
        return str(_l("Free")) if facility.is_court else str(_l("%(n)s left", n=slot["remaining"]))
    if reason == "slot_full" and facility.is_court:
        return str(_l("Taken"))
    if reason == "outside_window" and now is not None:
        if slot["end"] <= now:
            return str(_l("Past"))
        if slot["start"] <= now:
            return str(_l("In progress"))
        if now > slot["start"] - timedelta(minutes=facility.min_notice_minutes):
            return str(_l("Too late to book"))
        return str(_l("Not open for booking yet"))
    return slot_reason_label(reason)


def notification_label(kind: str) -> str:
    return str(NOTIFICATION_LABELS.get(kind, kind))


# The short patterns templates ask for, as each language writes a date: Chinese "12月1日（周二）",
# never "周二 12/1"; English "Tue, Dec 1".
DAY_PATTERNS = {
    "zh": {"EEEE M/d": "M月d日（EEE）", "EEE M/d": "M月d日（EEE）", "M/d": "M月d日"},
    "en": {"EEEE M/d": "EEE, MMM d", "EEE M/d": "EEE, MMM d", "M/d": "MMM d"},
}


def day_label(day, fmt: str = "EEE M/d") -> str:
    """A calendar date (already local) in the user's language, e.g. 11月25日（周三） or Wed, Nov 25."""
    if not day:
        return ""
    locale = get_locale()
    fmt = DAY_PATTERNS.get(locale.language, {}).get(fmt, fmt)
    return format_date(day, fmt, locale=locale)


def long_day(day) -> str:
    return day_label(day, "EEEE M/d")


def week_range(monday) -> str:
    """A week as people say it: 11月30日–12月6日 (not "2026-W49")."""
    return f"{day_label(monday, 'M/d')}–{day_label(monday + timedelta(days=6), 'M/d')}" if monday else ""


def tz_label(tz: str) -> str:
    """China's one time zone needs no name on a Chinese page; others keep theirs."""
    if tz in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"):
        return str(_l("Beijing time"))
    return tz


def local_day(instant, tz: str, fmt: str = "EEE M/d") -> str:
    return day_label(timeutil.local_date(instant, tz), fmt) if instant else ""


def local_iso(instant, tz: str) -> str:
    return timeutil.isoformat_local(instant, tz) if instant else ""


AUDIT_ACTIONS = {
    "agreement.create": _l("Agreement made"),
    "agreement.change": _l("Agreement changed"),
    "blackout.create": _l("Blackout set"),
    "blackout.delete": _l("Blackout removed"),
    "facility.create": _l("Facility added"),
    "facility.change": _l("Facility changed"),
    "facility.retire": _l("Facility retired"),
    "facility.reactivate": _l("Facility reopened"),
    "member.approve": _l("Member approved"),
    "member.reject": _l("Member rejected"),
    "organization.create": _l("Organization added"),
    "organization.change": _l("Organization changed"),
    "organization.invite_code": _l("Invite code renewed"),
    "reservation.approve": _l("Booking approved"),
    "reservation.reject": _l("Booking rejected"),
    "reservation.host_cancel": _l("Booking cancelled by the host"),
    "reservation.keep_in_blackout": _l("Booking kept through a closure"),
    "role.grant": _l("Role given"),
    "role.revoke": _l("Role removed"),
    "venue.create": _l("Venue added"),
    "venue.change": _l("Venue changed"),
}


def audit_action_label(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


TEXT_SIZE_COOKIE = "text_size"


def register(app) -> None:
    app.jinja_env.globals["audit_action_label"] = audit_action_label
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals.update(
        status_label=status_label,
        kind_label=kind_label,
        slot_reason_label=slot_reason_label,
        slot_note=slot_note,
        notification_label=notification_label,
    )
    app.jinja_env.filters.update(
        day_label=day_label,
        local_day=local_day,
        local_iso=local_iso,
        long_day=long_day,
        week_range=week_range,
        tz_label=tz_label,
    )

    @app.context_processor
    def _globals():
        locale = "zh_CN" if get_locale().language == "zh" else "en"
        return {
            "nav_items": nav_items(current_user),
            "home_links": home_links,
            "current_locale": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else locale,
            "current_path": request.full_path.rstrip("?"),
            "large_text": request.cookies.get(TEXT_SIZE_COOKIE) == "large",
        }
