"""Check-in pages: the scanner at the door (online and offline), a booking's QR image, the service worker.

The scanner's JSON endpoints are session-authenticated (CSRF token in the X-CSRFToken header)
and answer exactly what the API's POST /api/v1/checkins and its manifest answer.
"""

from datetime import datetime, timezone
from functools import wraps

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_from_directory
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .. import timeutil
from ..errors import BadRequest, DomainError, Forbidden, json_error
from ..extensions import login_manager
from ..facilities.services import managed_host_ids
from ..i18n import home_timezone
from ..inputs import json_body, parse_instant, text_value
from ..reservations.services import get_for
from . import images, services
from .serialize import manifest_reservation_json, scan_answer

bp = Blueprint("checkin", __name__)


# What the scanner says, by result: a headline and a reason, in the staff's language.
RESULTS = {
    "ok": (_l("Let them in"), _l("Checked in.")),
    "already_checked_in": (_l("Already checked in"), _l("This code was used already.")),
    "too_early": (_l("Too early"), _l("Check-in for this booking has not opened yet.")),
    "too_late": (_l("Too late"), _l("The check-in time of this booking is over.")),
    "not_approved": (_l("Not approved"), _l("The host has not approved this booking.")),
    "cancelled": (_l("Cancelled"), _l("This booking was cancelled.")),
    "wrong_host": (_l("Wrong venue"), _l("This code is for another host's venue.")),
    "invalid": (_l("Invalid code"), _l("This is not a valid booking code.")),
    "no_show_conflict": (
        _l("Check with the worker"),
        _l("Let in offline, but the booking was marked as a no-show meanwhile. It stays so until staff review it."),
    ),
    "unknown": (
        _l("Check by hand"),
        _l("The code is genuine but not in this phone's list for today. The server will confirm it when back online."),
    ),
    "error": (_l("Could not check"), _l("Something went wrong. Try again or type the code.")),
}
TEXTS = {
    "offline": _l("Offline: checked on this phone"),
    "online": _l("Online"),
    "no_signal": _l("No signal: scans are checked on this phone and synced later"),
    "list_from": _l("List of %(date)s, updated %(time)s"),
    "no_list": _l("No list on this phone yet: connect once to scan offline."),
    "queued": _l("Waiting to sync: %(n)s"),
    "camera_failed": _l("The camera is not available. Type the code instead."),
    "torch_on": _l("Light on"),
    "torch_off": _l("Light off"),
    "signed_out": _l("You are signed out. Sign in again to sync."),
    "attention_result": _l("Scanned offline as OK, but the server says: %(result)s"),
    "dismiss": _l("Dismiss"),
    "not_in_list": _l("This code is not in today's list on this phone."),
    "no_verify": _l("This phone cannot check codes offline. Connect to the network."),
    "worker": _l("Worker"),
    "enterprise": _l("Enterprise"),
    "facility": _l("Facility"),
    "time": _l("Time"),
    "party": _l("People"),
    "scanned_at": _l("Scanned at %(time)s"),
}


def qr_markup(token: str) -> Markup:
    """The code as inline SVG (no XML declaration), so a cached booking page holds its code."""
    text = images.svg(token).decode()
    return Markup(text[text.index("<svg") :])


@bp.app_template_global("check_in_code")
def check_in_code(r) -> Markup:
    """A booking's check-in code for its page (reservations/show.html), which does not import us."""
    return qr_markup(services.token_for(r))


def _json_staff_only(view):
    """JSON endpoints of the scanner: 401/403 as JSON (the page's script reads them), errors too."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return json_error(401, "unauthorized", str(TEXTS["signed_out"]))
        if not managed_host_ids(current_user):
            return json_error(403, "forbidden", str(_l("This page is for the host's staff.")))
        try:
            return view(*args, **kwargs)
        except DomainError as err:
            return json_error(err.status, err.code, err.message)

    return wrapper


def _tz() -> str:
    return home_timezone()


@bp.get("/scan")
def scan_page():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not managed_host_ids(current_user):
        raise Forbidden(_l("This page is for the host's staff."))
    texts = {k: str(v) for k, v in TEXTS.items()}
    texts.update({f"title_{k}": str(v[0]) for k, v in RESULTS.items()})
    texts.update({f"reason_{k}": str(v[1]) for k, v in RESULTS.items()})
    response = Response(
        render_template("checkin/scan.html", texts=texts, count=services.checked_in_today(current_user, tz=_tz()))
    )
    response.headers["X-Offline-Cache"] = "scanner"
    return response


def _offline_time(data: dict) -> datetime | None:
    """When an offline scan happened, if the client says so (an aware ISO 8601 instant).
    How old it may be is the service's rule (services.scan)."""
    value = data.get("scanned_offline_at")
    if value is None:
        return None
    if isinstance(value, str) and value.endswith("Z"):
        value = value[:-1] + "+00:00"
    when = parse_instant(value, "scanned_offline_at", aware=True)  # in range: no overflow below
    return when.astimezone(timezone.utc)


@bp.post("/scan/checkins")
@_json_staff_only
def scan_checkin():
    data = json_body()
    code = text_value(data, "code")
    if not isinstance(code, str) or not code.strip():
        raise BadRequest(field="code")
    device = text_value(data, "device")
    device = device if isinstance(device, str) else ""
    result, r = services.scan(
        current_user,
        code,
        text_value(data, "nonce"),
        device or request.headers.get("User-Agent", ""),
        offline_at=_offline_time(data),
    )
    return jsonify(scan_answer(result, r))


@bp.get("/scan/manifest")
@_json_staff_only
def scan_manifest():
    tz = _tz()
    now = timeutil.utcnow()
    day = timeutil.local_date(now, tz)
    m = services.manifest(current_user, day, tz)
    device = request.args.get("device")
    if device:  # the scanner sent its queue first: offline scans it sends later are newer
        services.record_contact(current_user, device, now)
    response = jsonify(
        {
            "date": day.isoformat(),
            "generated_at": timeutil.isoformat_local(now, tz),
            "keys": m["keys"],
            "reservations": [manifest_reservation_json(r) for r in m["reservations"]],
            "checked_in_today": services.checked_in_today(current_user, now, tz),
            "csrf_token": generate_csrf(),  # a long-open scanner page keeps a fresh token
        }
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/bookings/<int:reservation_id>/qr.svg")
@login_required
def booking_qr(reservation_id: int):
    r = get_for(current_user, reservation_id)
    response = Response(images.svg(services.token_for(r)), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
