"""GET /me/quota; agreements for host admins (list, create, change) and enterprise admins (list)."""

from flask import g, jsonify, request

from .. import timeutil
from ..admin import agreements
from ..i18n import home_timezone
from ..quotas.services import my_quota
from . import bp
from .common import json_body, token_required
from .common_params import parse_date, parse_id
from .serialize import ref


def _hours(minutes):
    return None if minutes is None else round(minutes / 60, 2)


@bp.get("/me/quota")
@token_required
def me_quota():
    now = timeutil.utcnow()
    day = parse_date(request.args["date"]) if "date" in request.args else timeutil.local_date(now, home_timezone())
    q = my_quota(g.api_user, day, now)
    return jsonify(
        {
            "enterprise": ref(q["enterprise"]),
            "week": q["week"],
            "hosts": [
                {
                    "host": ref(h["host"]),
                    "hours_limit": _hours(h["minutes_limit"]),
                    "hours_used": _hours(h["minutes_used"]),
                    "bookings_per_worker": h["bookings_per_worker"],
                    "my_bookings": h["my_bookings"],
                    "suspended_until": timeutil.isoformat_local(h["suspended_until"], home_timezone())
                    if h["suspended_until"]
                    else None,
                }
                for h in q["hosts"]
            ],
        }
    )


def agreement_json(a) -> dict:
    return {
        "id": a.id,
        "host": ref(a.host),
        "enterprise": ref(a.enterprise),
        "group": ref(a.group),
        "facility_ids": None if a.all_facilities else sorted(f.id for f in a.facilities),
        "hours_per_week": _hours(a.minutes_per_week),
        "bookings_per_worker": a.bookings_per_worker,
        "valid_from": a.valid_from.isoformat(),
        "valid_until": a.valid_until.isoformat() if a.valid_until else None,
    }


@bp.get("/agreements")
@token_required
def list_agreements():
    return jsonify([agreement_json(a) for a in agreements.list_for(g.api_user)])


def _optional_date(data, name):
    return parse_date(data[name], name) if data.get(name) is not None else None


def _optional_id(data, name):
    return parse_id(data[name], name) if data.get(name) is not None else None


@bp.post("/agreements")
@token_required
def create_agreement():
    data = json_body()
    facility_ids = data.get("facility_ids")
    if facility_ids is not None and (not isinstance(facility_ids, list) or len(facility_ids) > 500):
        from ..errors import BadRequest

        raise BadRequest(field="facility_ids")
    a = agreements.create(
        g.api_user,
        parse_id(data.get("host_id"), "host_id"),
        parse_date(data.get("valid_from"), "valid_from"),
        enterprise_id=_optional_id(data, "enterprise_id"),
        group_id=_optional_id(data, "group_id"),
        facility_ids=[parse_id(i, "facility_ids") for i in facility_ids or []],
        hours=data.get("hours_per_week"),
        bookings_per_worker=data.get("bookings_per_worker"),
        valid_until=_optional_date(data, "valid_until"),
    )
    return jsonify(agreement_json(a)), 201


@bp.patch("/agreements/<int:agreement_id>")
@token_required
def change_agreement(agreement_id: int):
    data = json_body()
    kwargs = {}
    if "hours_per_week" in data:
        kwargs["hours"] = data["hours_per_week"]
    if "bookings_per_worker" in data:
        kwargs["bookings_per_worker"] = data["bookings_per_worker"]
    if "valid_until" in data:
        kwargs["valid_until"] = _optional_date(data, "valid_until")
    return jsonify(agreement_json(agreements.change(g.api_user, agreement_id, **kwargs)))
