"""QR images, the door scan (POST /checkins), and what an offline scanner downloads."""

from flask import Response, g, jsonify, request

from .. import timeutil
from ..checkin import images, services
from ..checkin.keys import published
from ..errors import BadRequest, Forbidden
from ..i18n import home_timezone
from ..reservations.services import get_for
from . import bp
from .common import json_body, text_value, token_required
from .common_params import parse_date
from .serialize import manifest_reservation_json, scan_answer


def _qr_response(reservation_id: int, render, mimetype: str) -> Response:
    r = get_for(g.api_user, reservation_id)
    response = Response(render(services.token_for(r)), mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/reservations/<int:reservation_id>/qr.png")
@token_required
def qr_png(reservation_id: int):
    return _qr_response(reservation_id, images.png, "image/png")


@bp.get("/reservations/<int:reservation_id>/qr.svg")
@token_required
def qr_svg(reservation_id: int):
    return _qr_response(reservation_id, images.svg, "image/svg+xml")


@bp.post("/checkins")
@token_required
def check_in():
    data = json_body()
    if not g.api_user.has_role("host_staff"):
        raise Forbidden()
    code = text_value(data, "code")
    if not isinstance(code, str) or not code.strip():
        raise BadRequest(field="code")
    result, r = services.scan(
        g.api_user, code, text_value(data, "nonce"), text_value(data, "device") or request.headers.get("User-Agent", "")
    )
    return jsonify(scan_answer(result, r))


@bp.get("/checkin/manifest")
@token_required
def checkin_manifest():
    day = (
        parse_date(request.args["date"])
        if "date" in request.args
        else timeutil.local_date(timeutil.utcnow(), home_timezone())
    )
    m = services.manifest(g.api_user, day)
    return jsonify(
        {
            "date": day.isoformat(),
            "keys": m["keys"],
            "reservations": [manifest_reservation_json(r) for r in m["reservations"]],
        }
    )


@bp.get("/checkin/keys")
@token_required
def checkin_keys():
    hosts = g.api_user.org_ids("host_staff")
    if not hosts:
        raise Forbidden()
    return jsonify(published(hosts))
