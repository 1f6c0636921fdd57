"""Reservations: create, list, show, cancel, approve, reject, recurring series."""

from datetime import datetime

from flask import g, jsonify, request

from .. import timeutil
from ..draw import services as draws
from ..errors import BadRequest, Conflict
from ..facilities.services import load_facility
from ..reservations import services
from ..reservations.models import STATUSES
from ..reservations.serialize import series_change_json, series_json
from ..timeutil import isoformat_local
from . import bp
from .common import json_body, optional_json_body, text_value, token_required
from .common_params import id_query, parse_date, parse_id, parse_instant
from .serialize import reservation_json


@bp.post("/reservations")
@token_required
def create_reservation():
    data = json_body()
    facility_id = parse_id(data.get("facility_id"), "facility_id")
    start = parse_instant(data.get("start"))
    try:
        r = services.book(g.api_user, facility_id, start, data.get("party_size", 1))
    except Conflict as err:
        # A draw whose time has come and that its job has not run yet: it runs now, before first-come.
        if err.code != "draw_pending" or datetime.fromisoformat(err.details["draw_at"]) > timeutil.utcnow():
            raise
        draws.run_due(facility_id=facility_id)
        r = services.book(g.api_user, facility_id, start, data.get("party_size", 1))
    return jsonify(reservation_json(r, load_facility(r.facility_id), g.api_user)), 201


@bp.post("/reservations/series")
@token_required
def create_series():
    data = json_body()
    facility_id = parse_id(data.get("facility_id"), "facility_id")
    start = parse_instant(data.get("start"))
    booked = services.book_series(g.api_user, facility_id, start, data.get("weeks"), data.get("party_size", 1))
    out = []
    for res in booked.results:
        item = {"start": isoformat_local(res["start"], booked.timezone), "ok": res["ok"]}
        if res["ok"]:
            item["reservation"] = reservation_json(res["reservation"])
        else:
            item["error"] = {"code": res["code"], "message": res["message"]}
        out.append(item)
    n = sum(1 for r in out if r["ok"])
    return jsonify({"series_id": booked.series.id, "booked": n, "refused": len(out) - n, "occurrences": out}), 200


@bp.get("/reservations/series")
@token_required
def list_series():
    return jsonify({"items": [series_json(s) for s in services.list_series(g.api_user)]})


@bp.get("/reservations/series/<int:series_id>")
@token_required
def show_series(series_id: int):
    return jsonify(series_json(services.get_series(g.api_user, series_id)))


@bp.post("/reservations/series/<int:series_id>/pause")
@token_required
def pause_series(series_id: int):
    data = json_body()
    first, last = parse_date(data.get("from"), "from"), parse_date(data.get("until"), "until")
    return jsonify(series_change_json(services.pause_series(g.api_user, series_id, first, last)))


@bp.post("/reservations/series/<int:series_id>/cancel")
@token_required
def cancel_series(series_id: int):
    return jsonify(series_change_json(services.cancel_series(g.api_user, series_id)))


@bp.get("/reservations")
@token_required
def list_reservations():
    scope = request.args.get("scope", "auto")
    if scope not in ("auto", "mine", "host"):
        raise BadRequest(field="scope")
    if scope == "auto":
        scope = "host" if g.api_user.has_role("host_staff") and not g.api_user.is_worker else "mine"
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadRequest(field="status")
    limit = 50
    rows = services.list_for(g.api_user, scope=scope, status=status, limit=limit + 1, before_id=id_query("before_id"))
    items = rows[:limit]
    return jsonify({"items": [reservation_json(r) for r in items], "next": items[-1].id if len(rows) > limit else None})


@bp.get("/reservations/<int:reservation_id>")
@token_required
def show_reservation(reservation_id: int):
    return jsonify(reservation_json(services.get_for(g.api_user, reservation_id)))


@bp.post("/reservations/<int:reservation_id>/cancel")
@token_required
def cancel_reservation(reservation_id: int):
    reason = text_value(optional_json_body(), "reason", multiline=True)
    return jsonify(reservation_json(services.cancel_as(g.api_user, reservation_id, reason)))


@bp.post("/reservations/<int:reservation_id>/approve")
@token_required
def approve_reservation(reservation_id: int):
    return jsonify(reservation_json(services.decide(g.api_user, reservation_id, True)))


@bp.post("/reservations/<int:reservation_id>/reject")
@token_required
def reject_reservation(reservation_id: int):
    reason = text_value(optional_json_body(), "reason", multiline=True)
    return jsonify(reservation_json(services.decide(g.api_user, reservation_id, False, reason)))
