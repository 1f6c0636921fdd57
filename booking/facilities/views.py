"""Worker pages: facilities I may book, a facility's day, the quick finder."""
from datetime import date, timedelta

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import timeutil
from ..reservations.forms import whole_number as _whole_number
from ..reservations import availability, finder
from . import services
from .models import KINDS

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
    facilities = [f for f in everything
                  if (kind is None or f.kind == kind) and (host_id is None or f.venue.host_id == host_id)]
    kinds = [k for k in KINDS if any(f.kind == k for f in everything)]
    return render_template("facilities/index.html", facilities=facilities, notes=notes, day=day,
                           today=today, kind=kind, host_id=host_id, kinds=kinds,
                           hosts=sorted(hosts.values(), key=lambda h: h.id),
                           date_arg=day.isoformat() if day != today else None)


@bp.get("/<int:facility_id>")
@login_required
def day(facility_id: int):
    notes: list[str] = []
    now = timeutil.utcnow()
    # Scope first (404 for facilities not shared with the user), then the day in its time zone.
    facility = services.get_visible(current_user, facility_id)
    tz = facility.venue.timezone
    today = timeutil.local_date(now, tz)
    chosen = _date_arg(today, notes)
    facility, slots = availability.availability(current_user, facility_id, chosen, now)
    strip = services.upcoming_days(tz, now, facility.window_days + 1)
    return render_template("facilities/day.html", facility=facility, slots=slots, day=chosen, tz=tz,
                           strip=strip, notes=notes, now=now, today=today,
                           prev_day=chosen - timedelta(days=1) if chosen > today else None,
                           next_day=chosen + timedelta(days=1) if chosen < strip[-1] else None)


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
    return render_template("facilities/find.html", kinds=kinds, kind=kind, when=when,
                           whens=finder.WHENS, results=results, notes=notes)
