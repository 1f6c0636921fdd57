"""GET /facilities, GET /facilities/<id>/availability."""

from flask import g, jsonify, request
from sqlalchemy import union_all

from .. import timeutil
from ..accounts.principal import with_caller
from ..draw import services as draws
from ..errors import BadRequest
from ..facilities import services
from ..facilities.models import KINDS
from ..i18n import home_timezone
from ..reservations.availability import DAY_STATE_PARTS, read_ahead
from ..reservations.availability import availability as slots_for
from ..waitlist import queries as lines
from . import bp
from .common import authenticate, token_required
from .common_params import id_query, parse_date
from .serialize import facility_json, slots_json

# The day's slot state and its waitlist lines, in one round trip; and the same with the caller.
_DAY_WITH_LINES = union_all(*DAY_STATE_PARTS, lines.LINE_ROWS)
_CALLER_DAY_WITH_LINES = with_caller(*DAY_STATE_PARTS, lines.LINE_ROWS)


@bp.get("/facilities")
@token_required
def list_facilities():
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise BadRequest(field="kind")
    host = id_query("host_id")
    day = (
        parse_date(request.args["date"])
        if "date" in request.args
        else timeutil.local_date(timeutil.utcnow(), home_timezone())
    )
    facilities = services.visible_facilities(g.api_user, day, kind=kind, host_id=host)
    return jsonify([facility_json(f) for f in facilities])


@bp.get("/facilities/<int:facility_id>/availability")
def availability(facility_id: int):
    """Read only: what is due and not yet run by its job (an offer run out, a draw past its
    time) is shown as the job will leave it where that is known (the offer's places passed
    along the line), else as it stands (a draw not run yet: still pending).

    One round trip when this process knows the facility: the day is read along with the caller
    (read_ahead), and shown only once the caller may see it. Answers as token_required would:
    401 before a bad date's 400."""
    text = request.args.get("date")
    day = _date_or_none(text)
    params = read_ahead(facility_id, day) if day is not None else None
    if params is None:
        authenticate()
        ahead = None
    else:
        ahead = (params, authenticate(_CALLER_DAY_WITH_LINES, **params))
    if text is None:
        raise BadRequest(field="date")
    if day is None:
        day = parse_date(text)  # raises: a bad date's own message
    now = timeutil.utcnow()
    waiting: dict = {}

    def served(rows):
        day_lines = lines.lines(rows)

        def after_serving(start, free):
            if start not in day_lines:
                return free
            free, waiting[start] = lines.as_served(day_lines[start], start, free, now)
            return free

        return after_serving

    facility, slots = slots_for(g.api_user, facility_id, day, now, _DAY_WITH_LINES, served, ahead)
    tz = facility.venue.timezone
    items = slots_json(slots, tz)
    for item, slot in zip(items, slots):
        item["waiting"] = waiting.get(slot["start"], 0)
    if facility.allocation == "draw":
        add_draws(facility, slots, items, now)
    return jsonify({"facility_id": facility.id, "date": day.isoformat(), "timezone": tz, "slots": items})


def _date_or_none(text):
    try:
        return parse_date(text)
    except BadRequest:
        return None


def add_draws(facility, slots: list[dict], items: list[dict], now) -> None:
    """Draw slots whose draw has not run: when it runs, how many applied (and the draw's id)."""
    pending = draws.pending_draws(facility, [s["start"] for s in slots], now)
    for item, slot in zip(items, slots):
        if slot["start"] in pending:
            found = pending[slot["start"]]
            item["draw_at"] = timeutil.isoformat_local(found["draw_at"], facility.venue.timezone)
            item["applicants"], item["draw_id"] = found["applicants"], found["draw_id"]
            if item["bookable"]:
                item["bookable"], item["reason"] = False, "draw_pending"
