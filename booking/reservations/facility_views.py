"""Worker pages: facilities I may book, a facility's day, the quick finder (blueprint `facilities`).

They show what reservations reads (availability, the finder, my bookings of the day), so they
live here, above the facilities package."""

from datetime import date, timedelta

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import timeutil
from ..errors import NotFound
from ..extensions import db
from ..facilities import services
from ..facilities.models import KINDS, Facility
from . import availability, finder, queries_phone
from .forms import whole_number as _whole_number

bp = Blueprint("facilities", __name__, url_prefix="/facilities")

# How far from today a date in a query may lie (anything further is surely a typo).
MAX_DAYS_AWAY = 366


def _default_tz() -> str:
    return current_app.config["DEFAULT_TIMEZONE"]


def _date_arg(today: date, notes: list) -> date:
    """?date=YYYY-MM-DD, or today; a bad value is ignored with a note, never an error page."""
    text = request.args.get("date", "").strip()
    if not text:
        return today
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or abs((day - today).days) > MAX_DAYS_AWAY:
        notes.append(_("The date was not understood (use YYYY-MM-DD); showing today."))
        return today
    return day


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def opening_hours(facility) -> list[tuple[str, str]]:
    """The week's hours as people read them: [("周一至周五", "08:00–22:00"), ("周日", "休息")]."""
    monday = date(2024, 1, 1)  # any Monday: only the weekday names are used
    by_day = {d: [] for d in range(7)}
    for h in facility.hours:  # OpeningHours rows, or (weekday, opens, closes) of a snapshot
        weekday, opens, closes = h if isinstance(h, tuple) else (h.weekday, h.opens_minute, h.closes_minute)
        by_day[weekday].append(f"{_hhmm(opens)}–{_hhmm(closes)}")
    texts = [", ".join(by_day[d]) or _("Closed") for d in range(7)]
    rows, first = [], 0
    for d in range(1, 8):
        if d == 7 or texts[d] != texts[first]:
            name = format_date(monday + timedelta(days=first), "EEE")
            if d - 1 > first:
                name = _("%(first)s–%(last)s", first=name, last=format_date(monday + timedelta(days=d - 1), "EEE"))
            rows.append((name, texts[first]))
            first = d
    return rows


@bp.get("/")
@login_required
def index():
    notes: list[str] = []
    today = timeutil.local_date(timeutil.utcnow(), _default_tz())
    day = _date_arg(today, notes)
    kind = request.args.get("kind", "").strip() or None
    if kind is not None and kind not in KINDS:
        notes.append(_("Unknown kind of facility; showing all kinds."))
        kind = None
    host_text = request.args.get("host", "").strip()
    host_id = int(host_text) if _whole_number(host_text, 9) else None
    if host_text and host_id is None:
        notes.append(_("Unknown host; showing all hosts."))

    everything = services.visible_facilities(current_user, day)
    hosts = {f.venue.host_id: f.venue.host for f in everything}
    if host_id is not None and host_id not in hosts:
        notes.append(_("Unknown host; showing all hosts."))
        host_id = None
    facilities = [
        f for f in everything if (kind is None or f.kind == kind) and (host_id is None or f.venue.host_id == host_id)
    ]
    kinds = [k for k in KINDS if any(f.kind == k for f in everything)]
    return render_template(
        "facilities/index.html",
        facilities=facilities,
        notes=notes,
        day=day,
        today=today,
        kind=kind,
        host_id=host_id,
        kinds=kinds,
        hosts=sorted(hosts.values(), key=lambda h: h.id),
        date_arg=day.isoformat() if day != today else None,
    )


@bp.get("/<int:facility_id>/about")
def public(facility_id: int):
    """What a shared link shows anyone (a chat preview too): name, place, hours; nothing private."""
    facility = db.session.get(Facility, facility_id)
    if facility is None or not facility.active:
        raise NotFound()
    return render_template("facilities/public.html", facility=facility, hours=opening_hours(facility))


@bp.get("/<int:facility_id>")
def day(facility_id: int):
    if not current_user.is_authenticated:  # a link pasted into a chat: the public page first
        return redirect(url_for("facilities.public", facility_id=facility_id))
    notes: list[str] = []
    now = timeutil.utcnow()
    # Scope first (404 for facilities not shared with the user), then the day in its time zone.
    facility = services.get_visible(current_user, facility_id)
    tz = facility.venue.timezone
    today = timeutil.local_date(now, tz)
    chosen = _date_arg(today, notes)
    facility, slots = availability.availability(current_user, facility_id, chosen, now)
    strip = services.upcoming_days(tz, now, facility.window_days + 1)
    mine = queries_phone.mine_between(current_user, facility.id, *timeutil.local_day_bounds(chosen, tz))
    return render_template(
        "facilities/day.html",
        facility=facility,
        slots=slots,
        day=chosen,
        tz=tz,
        strip=strip,
        notes=notes,
        now=now,
        today=today,
        mine=mine,
        hours=opening_hours(facility),
        prev_day=chosen - timedelta(days=1) if chosen > today else None,
        next_day=chosen + timedelta(days=1) if chosen < strip[-1] else None,
    )


@bp.get("/find")
@login_required
def find():
    notes: list[str] = []
    kind = request.args.get("kind", "").strip() or None
    when = request.args.get("when", "").strip() or "tonight"
    if kind is not None and kind not in KINDS:
        notes.append(_("Unknown kind of facility; please choose one."))
        kind = None
    elif kind is None and "kind" in request.args:
        notes.append(_("Please choose what you want to book."))
    if when not in finder.WHENS:
        notes.append(_("Unknown time; showing tonight."))
        when = "tonight"
    now = timeutil.utcnow()
    today = timeutil.local_date(now, _default_tz())
    kinds = sorted({f.kind for f in services.visible_facilities(current_user, today)}, key=KINDS.index)
    results = finder.find_slots(current_user, kind, when, now, _default_tz()) if kind else None
    return render_template(
        "facilities/find.html", kinds=kinds, kind=kind, when=when, whens=finder.WHENS, results=results, notes=notes
    )
