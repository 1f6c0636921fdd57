"""The fair draw (摇号): apply for a draw slot, my applications, withdraw, a draw as published."""

from flask import g, jsonify

from ..draw import services
from ..draw.models import Application, Draw
from ..facilities.services import load_facility
from ..timeutil import isoformat_local
from . import bp
from .common import json_body, token_required
from .common_params import parse_id, parse_instant


def application_json(a: Application) -> dict:
    draw = a.draw
    facility = load_facility(draw.facility_id)
    tz = facility.venue.timezone
    return {
        "id": a.id,
        "status": a.status,
        "draw_id": a.draw_id,
        "draw_at": isoformat_local(draw.draw_at, tz),
        "facility_id": draw.facility_id,
        "facility": {"id": facility.id, "name": facility.name, "kind": facility.kind},
        "start": isoformat_local(draw.start_at, tz),
        "end": isoformat_local(draw.end_at, tz),
        "party_size": a.party_size,
        "reservation_id": a.reservation_id,
        "waitlist_id": a.waitlist_id,
        "reason": a.reason,
    }


def draw_json(draw: Draw) -> dict:
    tz = load_facility(draw.facility_id).venue.timezone
    done = draw.status == "done"
    result = draw.result or {}
    return {
        "id": draw.id,
        "facility_id": draw.facility_id,
        "date": draw.date.isoformat(),
        "start": isoformat_local(draw.start_at, tz),
        "draw_at": isoformat_local(draw.draw_at, tz),
        "status": draw.status,
        "seed_sha256": draw.seed_sha256,
        "seed": draw.seed if done else None,
        "algorithm": draw.algorithm,
        "applications": [
            {"id": a.id, "enterprise_id": a.enterprise_id, "party_size": a.party_size}
            for a in services.applications_of(draw)
            if a.status != "cancelled"
        ],
        "order": result.get("order", []),
        "winners": result.get("winners", []),
        "input": {k: result[k] for k in ("capacity", "applications", "usage", "shares", "refused")} if done else None,
    }


@bp.post("/applications")
@token_required
def apply_for_draw():
    data = json_body()
    facility_id = parse_id(data.get("facility_id"), "facility_id")
    start = parse_instant(data.get("start"))
    a = services.apply(g.api_user, facility_id, start, data.get("party_size", 1))
    return jsonify(application_json(a)), 201


@bp.get("/applications")
@token_required
def list_applications():
    return jsonify({"items": [application_json(a) for a in services.list_for(g.api_user)]})


@bp.post("/applications/<int:application_id>/cancel")
@token_required
def cancel_application(application_id: int):
    return jsonify(application_json(services.cancel(g.api_user, application_id)))


@bp.get("/draws/<int:draw_id>")
@token_required
def show_draw(draw_id: int):
    return jsonify(draw_json(services.get_for(g.api_user, draw_id)))
