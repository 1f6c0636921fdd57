"""Domain errors and their one mapping to HTTP: JSON under /api/, pages elsewhere.

Services raise these with a stable `code` (the API contract's) and a message that is
translated when it is rendered, so it comes out in the caller's language.
"""

from flask import jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = 422
    code = "invalid"
    default_message = _l("The request is not valid.")

    def __init__(self, message=None, code: str | None = None, **details):
        super().__init__(code or self.code)
        if code:
            self.code = code
        self._message = message
        self.details = details

    @property
    def message(self) -> str:
        msg = self._message if self._message is not None else self.default_message
        text = str(msg)
        return text % self.details if self.details and "%(" in text else text


class BadRequest(DomainError):
    status = 400
    code = "bad_request"
    default_message = _l("The request is malformed.")


class Invalid(DomainError):
    status = 422
    code = "invalid"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("Please sign in.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("You may not do that.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("That conflicts with the current state.")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, **extra):
    body = {"error": {"code": code, "message": message}}
    if extra:
        body["error"].update(extra)
    response = jsonify(body)
    response.status_code = status
    return response


_HTTP_CODES = {
    400: ("bad_request", _l("The request is malformed.")),
    401: ("unauthorized", _l("Please sign in.")),
    403: ("forbidden", _l("You may not do that.")),
    404: ("not_found", _l("Not found.")),
    405: ("method_not_allowed", _l("That method is not allowed here.")),
    413: ("too_large", _l("The request is too large.")),
    414: ("uri_too_long", _l("The address is too long.")),
    415: ("unsupported_media_type", _l("Send the body as JSON.")),
    429: ("rate_limited", _l("Too many attempts. Please wait a moment and try again.")),
    431: ("headers_too_large", _l("The request headers are too large.")),
    500: ("server_error", _l("Something went wrong on our side.")),
}


def _end_transaction() -> None:
    """Roll back whatever the failed request left open, so rendering the error can use the
    database (on PostgreSQL a failed statement aborts the transaction until it is rolled back)."""
    from .extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection itself is gone: drop it; the error page needs none
        db.session.remove()


def register_error_handlers(app):
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        _end_transaction()
        if wants_json():
            extra = {k: v for k, v in err.details.items() if isinstance(v, (int, float, str, list))}
            return json_error(err.status, err.code, err.message, **extra)
        return render_template("errors/error.html", status=err.status, message=err.message), err.status

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        _end_transaction()
        message = str(_l("The form expired. Please try again."))
        if wants_json():
            return json_error(400, "csrf_failed", message)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        _end_transaction()
        code, message = _HTTP_CODES.get(err.code, ("error", err.description))
        if wants_json():
            response = json_error(err.code, code, str(message))
            if err.code == 405 and err.valid_methods:
                response.headers["Allow"] = ", ".join(err.valid_methods)
            return response
        return render_template("errors/error.html", status=err.code, message=str(message)), err.code

    @app.errorhandler(Exception)
    def unexpected(err: Exception):  # a 500 is a bug; still answer in the contract's form
        app.logger.exception("unhandled error")
        _end_transaction()
        code, message = _HTTP_CODES[500]
        if wants_json():
            return json_error(500, code, str(message))
        return render_template("errors/error.html", status=500, message=str(message)), 500

    app.jinja_env.globals["gettext"] = gettext
