"""The OpenAPI 3 document of the API, served at /api/v1/openapi.json.

Each route is described next to the others here; tests/web/test_openapi.py fails when a route
of the blueprint is missing from this document.
"""

from flask import jsonify

from ..idempotency import openapi as idempotency
from . import bp


def _error():
    return {"$ref": "#/components/schemas/Error"}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    names = {
        400: "Malformed request",
        401: "Not signed in",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        413: "Body too large",
        414: "Request line too long",
        422: "Invalid",
        429: "Rate limited",
        431: "Headers too large",
    }
    return {str(c): _json(_error(), names[c]) for c in codes}


PATHS: dict = {}


def document(path: str, method: str, spec: dict) -> None:
    """Add an operation; every one may also answer 414/431 (request line or headers too large,
    booking.inputs), and every one that reads a body 413 (larger than MAX_CONTENT_LENGTH)."""
    spec["responses"].update(_errors(414, 431))
    if method in ("post", "patch", "delete"):
        spec["responses"].update(_errors(413))
    PATHS.setdefault(path, {})[method] = idempotency.with_key(method, spec)


document(
    "/auth/token",
    "post",
    {
        "summary": "Sign in and get a bearer token",
        "security": [],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["username", "password"],
                        "properties": {
                            "username": {"type": "string", "description": "username or phone"},
                            "password": {"type": "string"},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": _json({"type": "object", "properties": {"token": {"type": "string"}}}),
            **_errors(400, 401, 403, 429),
        },
    },
)
document(
    "/auth/token",
    "delete",
    {
        "summary": "Revoke the token used for this request",
        "responses": {"204": {"description": "Revoked"}, **_errors(400, 401)},
    },
)
document(
    "/me",
    "get",
    {
        "summary": "The signed-in user",
        "responses": {"200": _json({"$ref": "#/components/schemas/Me"}), **_errors(401)},
    },
)
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
RES = {"$ref": "#/components/schemas/Reservation"}
REASON_BODY = {
    "required": False,
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"reason": {"type": "string", "maxLength": 255}}}
        }
    },
}

document(
    "/facilities",
    "get",
    {
        "summary": "Facilities the caller may book (staff: also those they manage)",
        "parameters": [
            {"name": "kind", "in": "query", "schema": {"type": "string"}},
            {"name": "host_id", "in": "query", "schema": {"type": "integer"}},
            {
                "name": "date",
                "in": "query",
                "schema": {"type": "string", "format": "date"},
                "description": "agreements in force on this date (default today)",
            },
        ],
        "responses": {
            "200": _json({"type": "array", "items": {"$ref": "#/components/schemas/Facility"}}),
            **_errors(400, 401),
        },
    },
)
document(
    "/facilities/{facility_id}/availability",
    "get",
    {
        "summary": "A facility's slots on one local date",
        "parameters": [
            {"name": "facility_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
        ],
        "responses": {"200": _json({"$ref": "#/components/schemas/Availability"}), **_errors(400, 401, 404)},
    },
)
document(
    "/reservations",
    "post",
    {
        "summary": "Book a slot",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["facility_id", "start"],
                        "properties": {
                            "facility_id": {"type": "integer"},
                            "start": {
                                "type": "string",
                                "format": "date-time",
                                "description": "slot start; without offset: venue time",
                            },
                            "party_size": {"type": "integer", "minimum": 1, "default": 1},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": _json(RES, "Booked (status pending or confirmed)"),
            **_errors(400, 401, 403, 404, 409, 422),
        },
    },
)
document(
    "/reservations",
    "get",
    {
        "summary": "The caller's reservations (staff: their hosts'), newest first, paginated",
        "parameters": [
            {"name": "scope", "in": "query", "schema": {"type": "string", "enum": ["auto", "mine", "host"]}},
            {"name": "status", "in": "query", "schema": {"type": "string"}},
            {
                "name": "before_id",
                "in": "query",
                "schema": {"type": "integer"},
                "description": "the `next` of the previous page",
            },
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": RES}, "next": {"type": ["integer", "null"]}},
                }
            ),
            **_errors(400, 401, 403),
        },
    },
)
document(
    "/reservations/series",
    "post",
    {
        "summary": "Enterprise admin: the same slot every week for N weeks; each occurrence on its own",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["facility_id", "start", "weeks"],
                        "properties": {
                            "facility_id": {"type": "integer"},
                            "start": {"type": "string", "format": "date-time"},
                            "weeks": {"type": "integer", "minimum": 1, "maximum": 26},
                            "party_size": {"type": "integer", "minimum": 1},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "properties": {
                        "series_id": {"type": "integer"},
                        "booked": {"type": "integer"},
                        "refused": {"type": "integer"},
                        "occurrences": {"type": "array", "items": {"type": "object"}},
                    },
                }
            ),
            **_errors(400, 401, 403, 404, 422),
        },
    },
)
SERIES = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": ["active", "cancelled"]},
        "weeks": {"type": "integer"},
        "party_size": {"type": "integer"},
        "facility": {"type": "object"},
        "venue": {"type": "object"},
        "first_start": {"type": "string", "format": "date-time"},
        "pauses": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "until": {"type": "string", "format": "date"},
                },
            },
        },
        "occurrences": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "code": {"type": "string"},
                    "status": {"type": "string"},
                    "start": {"type": "string", "format": "date-time"},
                    "skipped": {"type": "boolean"},
                },
            },
        },
    },
}
SERIES_CHANGE = _json(
    {
        "type": "object",
        "properties": {
            "series": SERIES,
            "cancelled": {"type": "array", "items": {"type": "object"}},
            "kept": {
                "type": "array",
                "description": "bookings past their cancel cutoff: they stay, with the reason",
                "items": {"type": "object"},
            },
        },
    }
)
document(
    "/reservations/series",
    "get",
    {
        "summary": "Enterprise admin: my enterprise's weekly series, newest first, with their bookings",
        "responses": {
            "200": _json({"type": "object", "properties": {"items": {"type": "array", "items": SERIES}}}),
            **_errors(401, 403),
        },
    },
)
document(
    "/reservations/series/{series_id}",
    "get",
    {
        "summary": "Enterprise admin: one series of my enterprise",
        "parameters": [dict(ID, name="series_id")],
        "responses": {"200": _json(SERIES), **_errors(401, 403, 404)},
    },
)
document(
    "/reservations/series/{series_id}/pause",
    "post",
    {
        "summary": "Enterprise admin: skip the weeks from `from` to `until` (venue-local dates, included); "
        "their bookings are cancelled, quota and places given back; one past its cancel cutoff stays",
        "parameters": [dict(ID, name="series_id")],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["from", "until"],
                        "properties": {
                            "from": {"type": "string", "format": "date"},
                            "until": {"type": "string", "format": "date"},
                        },
                    }
                }
            },
        },
        "responses": {"200": SERIES_CHANGE, **_errors(400, 401, 403, 404, 409, 422)},
    },
)
document(
    "/reservations/series/{series_id}/cancel",
    "post",
    {
        "summary": "Enterprise admin: cancel the series (its future bookings; past ones stay; one past its "
        "cancel cutoff stays)",
        "parameters": [dict(ID, name="series_id")],
        "responses": {"200": SERIES_CHANGE, **_errors(400, 401, 403, 404, 409)},
    },
)
document(
    "/reservations/{reservation_id}",
    "get",
    {
        "summary": "One reservation (owner or the host's staff)",
        "parameters": [dict(ID, name="reservation_id")],
        "responses": {"200": _json(RES), **_errors(401, 404)},
    },
)
document(
    "/reservations/{reservation_id}/cancel",
    "post",
    {
        "summary": "Cancel: the owner before the cutoff; host staff with a reason",
        "parameters": [dict(ID, name="reservation_id")],
        "requestBody": REASON_BODY,
        "responses": {"200": _json(RES), **_errors(400, 401, 403, 404, 409, 422)},
    },
)
document(
    "/reservations/{reservation_id}/approve",
    "post",
    {
        "summary": "Host staff approve a pending booking",
        "parameters": [dict(ID, name="reservation_id")],
        "responses": {"200": _json(RES), **_errors(400, 401, 403, 404, 409)},
    },
)
document(
    "/reservations/{reservation_id}/reject",
    "post",
    {
        "summary": "Host staff reject a pending booking",
        "parameters": [dict(ID, name="reservation_id")],
        "requestBody": REASON_BODY,
        "responses": {"200": _json(RES), **_errors(400, 401, 403, 404, 409, 422)},
    },
)
AGREEMENT = {"$ref": "#/components/schemas/Agreement"}
document(
    "/me/quota",
    "get",
    {
        "summary": "The caller's enterprise quota and own bookings per host for an ISO week",
        "parameters": [
            {
                "name": "date",
                "in": "query",
                "schema": {"type": "string", "format": "date"},
                "description": "any day of the week (default today)",
            }
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "properties": {
                        "enterprise": {"$ref": "#/components/schemas/Ref"},
                        "week": {"type": "string", "example": "2026-W48"},
                        "hosts": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "host": {"$ref": "#/components/schemas/Ref"},
                                    "hours_limit": {"type": ["number", "null"]},
                                    "hours_used": {"type": "number"},
                                    "bookings_per_worker": {"type": ["integer", "null"]},
                                    "my_bookings": {"type": "integer"},
                                    "suspended_until": {"type": ["string", "null"], "format": "date-time"},
                                },
                            },
                        },
                    },
                }
            ),
            **_errors(400, 401, 403),
        },
    },
)
document(
    "/agreements",
    "get",
    {
        "summary": "Sharing agreements: a host admin's hosts', an enterprise admin's enterprise's",
        "responses": {"200": _json({"type": "array", "items": AGREEMENT}), **_errors(401, 403)},
    },
)
document(
    "/agreements",
    "post",
    {
        "summary": "Host admin: share facilities with an enterprise or a whole union",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["host_id", "valid_from"],
                        "properties": {
                            "host_id": {"type": "integer"},
                            "enterprise_id": {"type": "integer"},
                            "group_id": {"type": "integer"},
                            "facility_ids": {
                                "type": "array",
                                "items": {"type": "integer"},
                                "description": "omit for every facility of the host",
                            },
                            "hours_per_week": {"type": ["number", "null"]},
                            "bookings_per_worker": {"type": ["integer", "null"]},
                            "valid_from": {"type": "string", "format": "date"},
                            "valid_until": {"type": ["string", "null"], "format": "date"},
                        },
                    }
                }
            },
        },
        "responses": {"201": _json(AGREEMENT), **_errors(400, 401, 404, 422)},
    },
)
document(
    "/agreements/{agreement_id}",
    "patch",
    {
        "summary": "Host admin: change limits or end an agreement (applies from now on)",
        "parameters": [dict(ID, name="agreement_id")],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "hours_per_week": {"type": ["number", "null"]},
                            "bookings_per_worker": {"type": ["integer", "null"]},
                            "valid_until": {"type": ["string", "null"], "format": "date"},
                        },
                    }
                }
            },
        },
        "responses": {"200": _json(AGREEMENT), **_errors(400, 401, 404, 422)},
    },
)
for ext, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
    document(
        f"/reservations/{{reservation_id}}/qr.{ext}",
        "get",
        {
            "summary": f"The booking's QR code ({ext.upper()}): it encodes exactly the `code` POST /checkins takes",
            "parameters": [dict(ID, name="reservation_id")],
            "responses": {"200": {"description": "QR image", "content": {mime: {}}}, **_errors(401, 404)},
        },
    )
document(
    "/checkins",
    "post",
    {
        "summary": "Host staff scan a code at the door",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["code"],
                        "properties": {
                            "code": {"type": "string", "description": "the QR token or the short code"},
                            "nonce": {
                                "type": "string",
                                "maxLength": 64,
                                "description": "client id of this scan: a retry with it is the same scan",
                            },
                            "device": {"type": "string"},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["result"],
                    "properties": {
                        "result": {
                            "type": "string",
                            "enum": [
                                "ok",
                                "already_checked_in",
                                "too_early",
                                "too_late",
                                "not_approved",
                                "cancelled",
                                "wrong_host",
                                "invalid",
                            ],
                        },
                        "reservation": RES,
                    },
                }
            ),
            **_errors(400, 401, 403, 422),
        },
    },
)
document(
    "/checkin/manifest",
    "get",
    {
        "summary": "Host staff: public keys and a day's bookings, for scanning offline",
        "parameters": [{"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}}],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "properties": {
                        "date": {"type": "string", "format": "date"},
                        "keys": {"type": "array", "items": {"$ref": "#/components/schemas/PublicKey"}},
                        "reservations": {"type": "array", "items": RES},
                    },
                }
            ),
            **_errors(400, 401, 403),
        },
    },
)
document(
    "/checkin/keys",
    "get",
    {
        "summary": "Host staff: their hosts' public keys (Ed25519, by key id)",
        "responses": {
            "200": _json({"type": "array", "items": {"$ref": "#/components/schemas/PublicKey"}}),
            **_errors(401, 403),
        },
    },
)
document(
    "/reservations/{reservation_id}/calendar.ics",
    "get",
    {
        "summary": "One booking as iCalendar (TZID with VTIMEZONE, UID, DTSTAMP, a 30-minute alarm)",
        "parameters": [dict(ID, name="reservation_id")],
        "responses": {"200": {"description": "text/calendar", "content": {"text/calendar": {}}}, **_errors(401, 404)},
    },
)
WAIT = {"$ref": "#/components/schemas/WaitlistEntry"}
document(
    "/waitlist",
    "post",
    {
        "summary": "Wait for a full slot (候补): a freed place is booked for you (auto_book) or offered and held",
        "description": "Refused as a booking would be, except for capacity: 409 `not_full` (book it instead), "
        "`already_waiting`, `overlap`, `closed`, `outside_window`, `suspended`, `quota_exceeded`, "
        "`worker_limit`; 404 when the facility is not shared with you.",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["facility_id", "start"],
                        "properties": {
                            "facility_id": {"type": "integer"},
                            "start": {
                                "type": "string",
                                "format": "date-time",
                                "description": "slot start; without offset: venue time",
                            },
                            "party_size": {"type": "integer", "minimum": 1, "default": 1},
                            "auto_book": {
                                "type": "boolean",
                                "default": True,
                                "description": "false: the freed place is offered and held until "
                                "offer_expires_at (the host's setting, default 15 min)",
                            },
                        },
                    }
                }
            },
        },
        "responses": {"201": _json(WAIT, "In line (status waiting)"), **_errors(400, 401, 403, 404, 409, 422)},
    },
)
document(
    "/waitlist",
    "get",
    {
        "summary": "The caller's waitlist entries, newest first",
        "responses": {
            "200": _json({"type": "object", "properties": {"items": {"type": "array", "items": WAIT}}}),
            **_errors(401),
        },
    },
)
document(
    "/waitlist/{entry_id}/accept",
    "post",
    {
        "summary": "Take an offered place: the hold becomes a booking (quota and caps charged)",
        "parameters": [dict(ID, name="entry_id")],
        "responses": {"201": _json(RES, "Booked"), **_errors(401, 404, 409)},
    },
)
document(
    "/waitlist/{entry_id}/cancel",
    "post",
    {
        "summary": "Leave the line, or decline an offer (its place goes to the next in line)",
        "parameters": [dict(ID, name="entry_id")],
        "responses": {"200": _json(WAIT), **_errors(401, 404, 409)},
    },
)
APP = {"$ref": "#/components/schemas/Application"}
document(
    "/applications",
    "post",
    {
        "summary": "Apply for a place in a draw slot (摇号): the draw allocates the places at draw_at",
        "description": "Checked as a booking is, except for capacity: 409 `not_a_draw` (a first-come "
        "facility: book it), `draw_closed` (past the draw time), `already_applied`, `overlap`, "
        "`closed`, `outside_window`, `suspended`, `quota_exceeded`, `worker_limit`; 404 when the "
        "facility is not shared with you. Winners are booked (quota charged), the others put on "
        "the slot's waitlist in draw order.",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["facility_id", "start"],
                        "properties": {
                            "facility_id": {"type": "integer"},
                            "start": {
                                "type": "string",
                                "format": "date-time",
                                "description": "slot start; without offset: venue time",
                            },
                            "party_size": {"type": "integer", "minimum": 1, "default": 1},
                        },
                    }
                }
            },
        },
        "responses": {"201": _json(APP, "Applied (status applied)"), **_errors(400, 401, 403, 404, 409, 422)},
    },
)
document(
    "/applications",
    "get",
    {
        "summary": "The caller's draw applications, newest first (draws due run first)",
        "responses": {
            "200": _json({"type": "object", "properties": {"items": {"type": "array", "items": APP}}}),
            **_errors(401),
        },
    },
)
document(
    "/applications/{application_id}/cancel",
    "post",
    {
        "summary": "Withdraw an application while its draw is open (409 `not_cancellable` after the draw)",
        "parameters": [dict(ID, name="application_id")],
        "responses": {"200": _json(APP), **_errors(401, 404, 409)},
    },
)
document(
    "/draws/{draw_id}",
    "get",
    {
        "summary": "A draw as published: seed_sha256 before, the seed, input, order and winners after "
        "(applicants, the host's staff and the district; others 404). Read after draw_at, it runs first.",
        "parameters": [dict(ID, name="draw_id")],
        "responses": {"200": _json({"$ref": "#/components/schemas/Draw"}), **_errors(401, 404)},
    },
)
document(
    "/openapi.json",
    "get",
    {
        "summary": "This document",
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3 document"}},
    },
)

COMPONENTS = {
    **idempotency.COMPONENTS,
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
        },
        "Ref": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
        "Facility": {
            "type": "object",
            "required": ["id", "name", "kind", "capacity", "slot_minutes", "requires_approval", "venue", "host"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "kind": {"type": "string"},
                "capacity": {"type": "integer"},
                "slot_minutes": {"type": "integer"},
                "requires_approval": {"type": "boolean"},
                "allocation": {"type": "string", "enum": ["first_come", "draw"]},
                "draw_time": {
                    "type": ["object", "null"],
                    "properties": {"days_before": {"type": "integer"}, "at_minute": {"type": "integer"}},
                },
                "venue": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "timezone": {"type": "string"},
                    },
                },
                "host": {"$ref": "#/components/schemas/Ref"},
            },
        },
        "Availability": {
            "type": "object",
            "properties": {
                "facility_id": {"type": "integer"},
                "date": {"type": "string", "format": "date"},
                "timezone": {"type": "string"},
                "slots": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "start": {"type": "string", "format": "date-time"},
                            "end": {"type": "string", "format": "date-time"},
                            "capacity": {"type": "integer"},
                            "remaining": {"type": "integer"},
                            "bookable": {"type": "boolean"},
                            "waiting": {"type": "integer", "description": "how many are in the slot's waitlist"},
                            "draw_at": {
                                "type": "string",
                                "format": "date-time",
                                "description": "draw slots whose draw has not run: when it runs",
                            },
                            "applicants": {"type": "integer", "description": "draw slots: applications so far"},
                            "draw_id": {"type": ["integer", "null"]},
                            "reason": {"type": "string", "description": "why not bookable"},
                        },
                    },
                },
            },
        },
        "Reservation": {
            "type": "object",
            "required": ["id", "status", "facility_id", "start", "end", "party_size", "user", "enterprise"],
            "properties": {
                "id": {"type": "integer"},
                "status": {
                    "type": "string",
                    "enum": ["pending", "confirmed", "checked_in", "rejected", "cancelled", "no_show"],
                },
                "facility_id": {"type": "integer"},
                "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time"},
                "party_size": {"type": "integer"},
                "places": {"type": "integer"},
                "code": {"type": "string", "description": "short code for manual check-in"},
                "user": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "username": {"type": "string"},
                        "display_name": {"type": "string"},
                    },
                },
                "enterprise": {"$ref": "#/components/schemas/Ref"},
                "reason": {"type": ["string", "null"]},
            },
        },
        "WaitlistEntry": {
            "type": "object",
            "required": [
                "id",
                "status",
                "facility_id",
                "start",
                "end",
                "party_size",
                "auto_book",
                "position",
                "offer_expires_at",
                "reservation_id",
            ],
            "properties": {
                "id": {"type": "integer"},
                "status": {
                    "type": "string",
                    "enum": ["waiting", "offered", "booked", "expired", "skipped", "cancelled"],
                },
                "facility_id": {"type": "integer"},
                "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time"},
                "party_size": {"type": "integer"},
                "auto_book": {"type": "boolean"},
                "position": {"type": ["integer", "null"], "description": "1 = next (waiting only)"},
                "offer_expires_at": {"type": ["string", "null"], "format": "date-time"},
                "reservation_id": {"type": ["integer", "null"]},
                "reason": {"type": ["string", "null"], "description": "why skipped: the booking refusal's code"},
            },
        },
        "Application": {
            "type": "object",
            "required": ["id", "status", "draw_id", "draw_at"],
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": ["applied", "won", "waitlisted", "refused", "cancelled"]},
                "draw_id": {"type": "integer"},
                "draw_at": {"type": "string", "format": "date-time"},
                "facility_id": {"type": "integer"},
                "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time"},
                "party_size": {"type": "integer"},
                "reservation_id": {"type": ["integer", "null"]},
                "waitlist_id": {"type": ["integer", "null"]},
                "reason": {"type": ["string", "null"], "description": "refused: the booking refusal's code"},
            },
        },
        "Draw": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "facility_id": {"type": "integer"},
                "date": {"type": "string", "format": "date"},
                "start": {"type": "string", "format": "date-time"},
                "draw_at": {"type": "string", "format": "date-time"},
                "status": {"type": "string", "enum": ["open", "done"]},
                "seed_sha256": {"type": "string"},
                "seed": {"type": ["string", "null"], "description": "after the draw"},
                "algorithm": {"type": "string"},
                "applications": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "enterprise_id": {"type": "integer"},
                            "party_size": {"type": "integer"},
                        },
                    },
                },
                "order": {"type": "array", "items": {"type": "integer"}},
                "winners": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"application_id": {"type": "integer"}, "reservation_id": {"type": "integer"}},
                    },
                },
                "input": {
                    "type": ["object", "null"],
                    "description": "after the draw: capacity, applications with "
                    "places and no_shows, usage, shares, refused",
                },
            },
        },
        "Agreement": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "host": {"$ref": "#/components/schemas/Ref"},
                "enterprise": {"oneOf": [{"$ref": "#/components/schemas/Ref"}, {"type": "null"}]},
                "group": {"oneOf": [{"$ref": "#/components/schemas/Ref"}, {"type": "null"}]},
                "facility_ids": {"type": ["array", "null"], "items": {"type": "integer"}},
                "hours_per_week": {"type": ["number", "null"]},
                "bookings_per_worker": {"type": ["integer", "null"]},
                "valid_from": {"type": "string", "format": "date"},
                "valid_until": {"type": ["string", "null"], "format": "date"},
            },
        },
        "PublicKey": {
            "type": "object",
            "properties": {
                "kid": {"type": "integer"},
                "host_id": {"type": "integer"},
                "alg": {"type": "string"},
                "public_key": {"type": "string", "description": "raw 32 bytes, base64url"},
                "retired": {"type": "boolean"},
            },
        },
        "Me": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "username": {"type": "string"},
                "display_name": {"type": "string"},
                "enterprise": {"oneOf": [{"$ref": "#/components/schemas/Ref"}, {"type": "null"}]},
                "roles": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Shared Venues API",
                "version": "1.0.0",
                "description": "Book shared sports and reading facilities. Errors are "
                '{"error": {"code", "message"}}; messages follow Accept-Language.',
            },
            "servers": [{"url": "/api/v1"}],
            "security": [{"bearer": []}],
            "paths": PATHS,
            "components": COMPONENTS,
        }
    )
