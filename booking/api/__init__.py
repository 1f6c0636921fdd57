"""The versioned JSON API (/api/v1): bearer-token auth over the same services as the web UI."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from .common import body_is_an_object  # noqa: E402

bp.before_request(body_is_an_object)

from . import (  # noqa: E402,F401  (routes register on bp)
    auth,
    checkin,
    draw,  # noqa: E402,F401
    facilities,
    feeds,
    openapi,
    quotas,
    reservations,
    waitlist,
)

# Idempotency-Key on every POST/PUT/PATCH/DELETE: one place, before and after every handler.
from . import idempotency as _idempotency  # noqa: E402

bp.before_request(_idempotency.before_request)
bp.after_request(_idempotency.after_request)
