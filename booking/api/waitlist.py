"""The waitlist (候补): join a full slot's line, my entries, accept an offer, leave the line."""

from flask import g, jsonify

from ..facilities.services import load_facility
from ..timeutil import isoformat_local
from ..waitlist import services
from . import bp
from .common import json_body, token_required
from .common_params import parse_id, parse_instant
from .serialize import reservation_json


def entry_json(entry, facility=None) -> dict:
    facility = facility or load_facility(entry.facility_id)
    tz = facility.venue.timezone
    return {
        "id": entry.id,
        "status": entry.status,
        "facility_id": entry.facility_id,
        "facility": {"id": facility.id, "name": facility.name, "kind": facility.kind},
        "start": isoformat_local(entry.start_at, tz),
        "end": isoformat_local(entry.end_at, tz),
        "party_size": entry.party_size,
        "auto_book": entry.auto_book,
        "position": services.position(entry),
        "offer_expires_at": isoformat_local(entry.offer_expires_at, tz) if entry.offer_expires_at else None,
        "reservation_id": entry.reservation_id,
        "reason": entry.reason,
    }


@bp.post("/waitlist")
@token_required
def join_waitlist():
    data = json_body()
    facility_id = parse_id(data.get("facility_id"), "facility_id")
    start = parse_instant(data.get("start"))
    entry = services.join(g.api_user, facility_id, start, data.get("party_size", 1), data.get("auto_book", True))
    return jsonify(entry_json(entry)), 201


@bp.get("/waitlist")
@token_required
def list_waitlist():
    return jsonify({"items": [entry_json(e) for e in services.list_for(g.api_user)]})


@bp.post("/waitlist/<int:entry_id>/accept")
@token_required
def accept_offer(entry_id: int):
    r = services.accept(g.api_user, entry_id)
    return jsonify(reservation_json(r, load_facility(r.facility_id), g.api_user)), 201


@bp.post("/waitlist/<int:entry_id>/cancel")
@token_required
def leave_waitlist(entry_id: int):
    return jsonify(entry_json(services.cancel(g.api_user, entry_id)))
