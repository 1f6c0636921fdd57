"""The versioned JSON API (/api/v1): bearer-token auth over the same services as the web UI."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from .common import body_is_an_object  # noqa: E402

bp.before_request(body_is_an_object)

from . import auth, checkin, facilities, feeds, openapi, quotas, reservations  # noqa: E402,F401  (routes register on bp)
