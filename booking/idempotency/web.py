"""The web side of idempotency: one hook for every form POST that carries the hidden field.

A form with the field (forms.IdempotentForm) sends a fresh key per rendered form. A second
submit of the same form (a double tap, a retry after a dropped answer) lands where the first
one did: the same redirect, with the first one's messages shown again. Only redirects are kept;
a form shown again with an error releases its key, so it can be corrected and sent again.
Forms without the field, and signed-out visitors, are handled as before.
"""

from urllib.parse import urlencode

from flask import flash, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..errors import Invalid
from . import services
from .answers import rebuilt, replayed
from .forms import FIELD
from .services import Answer, Claim, Outcome

NOT_HASHED = frozenset(("csrf_token", FIELD))


# Where a form's first submit landed, rebuilt from what it committed (like the API's OUTCOMES,
# booking/api/idempotency.py): registered by the blueprint that owns the endpoint, at app init
# (reservations/views.py), so this package imports no feature package.
OUTCOMES: dict[str, Outcome] = {}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def before_request():
    if request.method != "POST" or _is_api():
        return None
    key = request.form.get(FIELD)
    if key is None or not current_user.is_authenticated:
        return None
    services.check_key(key)
    spec = OUTCOMES.get(request.endpoint)
    if spec is not None:
        g._idempotency_outcome = spec
    fields = sorted((k, v) for k, v in request.form.items(multi=True) if k not in NOT_HASHED)
    try:
        found = services.claim(
            f"user:{current_user.id}", key, services.request_hash("POST", request.path, urlencode(fields).encode())
        )
    except Invalid as err:  # an old page (the back button) sent again with other details
        raise Invalid(
            _l("This form was already sent. Please open the page again and fill it in anew."), code=err.code
        ) from None
    if isinstance(found, Claim):
        found.flash_mark = len(session.get("_flashes", ()))
        g._idempotency = found
        return None
    if isinstance(found, Answer):
        for category, message in found.flashes:
            flash(message, category)
        return replayed(found)
    return rebuilt(found, spec)


def after_request(response):
    if _is_api():
        return response
    claim = g.pop("_idempotency", None)
    if claim is None:
        return response
    try:
        if 300 <= response.status_code < 400:
            flashes = [list(item) for item in session.get("_flashes", ())[claim.flash_mark :]]
            services.store(
                claim,
                response.status_code,
                response.content_type,
                response.get_data(),
                response.headers.get("Location"),
                flashes,
            )
        elif not claim.committed:
            services.release(claim)
        # else: committed, then no redirect (an error page): a retry rebuilds where it landed
    except SQLAlchemyError as err:
        services.forget_failed_write(err)
    return response


def register(app) -> None:
    app.before_request(before_request)
    app.after_request(after_request)
