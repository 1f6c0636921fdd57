"""GET /facilities, GET /facilities/<id>/availability."""
from flask import g, jsonify, request

from .. import timeutil
from ..i18n import home_timezone
from ..facilities import services
from ..facilities.models import KINDS
from ..reservations.availability import availability as slots_for
from ..waitlist import services as waitlist
from ..errors import BadRequest
from . import bp
from .common import token_required
from .common_params import id_query, parse_date
from .serialize import facility_json, slots_json


@bp.get("/facilities")
@token_required
def list_facilities():
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise BadRequest(field="kind")
    host = id_query("host_id")
    day = parse_date(request.args["date"]) if "date" in request.args else \
        timeutil.local_date(timeutil.utcnow(), home_timezone())
    facilities = services.visible_facilities(g.api_user, day, kind=kind, host_id=host)
    return jsonify([facility_json(f) for f in facilities])


@bp.get("/facilities/<int:facility_id>/availability")
@token_required
def availability(facility_id: int):
    if "date" not in request.args:
        raise BadRequest(field="date")
    day = parse_date(request.args["date"])
    now = timeutil.utcnow()
    facility, slots = slots_for(g.api_user, facility_id, day, now)
    if waitlist.expire_due(now, facility_id=facility.id):  # offers run out are passed on first
        facility, slots = slots_for(g.api_user, facility_id, day, now)
    tz = facility.venue.timezone
    items = slots_json(slots, tz)
    waiting = waitlist.waiting_counts(facility.id, [s["start"] for s in slots])
    for item, slot in zip(items, slots):
        item["waiting"] = waiting.get(slot["start"], 0)
    return jsonify({"facility_id": facility.id, "date": day.isoformat(), "timezone": tz, "slots": items})
