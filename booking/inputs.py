"""What a request may carry, in one place: ids, dates and text, for pages, forms and the API.

Every id column is a 32-bit integer on PostgreSQL, every date the product deals with lies in
this century, and no text a person types holds control characters. A value outside these
bounds is refused where it is read (a 404 for an id in a path, a field error elsewhere), before
any arithmetic or statement can overflow on it.
"""

import re
from datetime import date, datetime

import orjson
from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge
from werkzeug.routing import IntegerConverter

from .errors import BadRequest, Invalid

MAX_ID = 2**31 - 1
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
# C0 and C1 controls, DEL, and lone surrogates (not encodable, so no database takes them).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number past the id column's range matches nothing (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_or_none(value) -> int | None:
    """A positive id from text or a number, or None when it is not one (or past the column)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 10):
            return None
        value = int(text)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


def id_arg(text) -> int:
    """For `request.args.get(name, type=id_arg)`: a ValueError makes Werkzeug use the default."""
    value = id_or_none(text)
    if value is None:
        raise ValueError("not an id")
    return value


def whole_in_range(text: str, low: int = -MAX_ID, high: int = MAX_ID) -> int | None:
    """A whole number typed into a form (ASCII digits, optional minus), if within [low, high]."""
    text = (text or "").strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 10):
        return None
    value = int(text)
    return value if low <= value <= high else None


def day_in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def instant_in_range(value: datetime) -> bool:
    """The calendar date as written (before any offset is applied) lies in the supported range."""
    return day_in_range(value.date())


def has_control(text: str, multiline: bool = False) -> bool:
    """Control characters in text; a text area may hold tabs and line breaks."""
    return bool((_CONTROL if multiline else _CONTROL_ONE_LINE).search(text))


# What one request line and its headers may hold. The server in front (gunicorn, nginx) is set
# to let more through, so that the answer to an oversized request is the app's own (JSON under
# /api/, a page elsewhere), not the server's HTML.
MAX_URI = 8190
MAX_HEADER = 8190
MAX_HEADERS = 100


def check_request_size():
    """before_request, first of all: 414 for a request line too long, 431 for headers too large."""
    environ = request.environ
    uri = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) + len(environ.get("SCRIPT_NAME", ""))
    if uri > MAX_URI:
        raise RequestURITooLarge()
    headers = [(k, v) for k, v in environ.items() if k.startswith("HTTP_")]
    if len(headers) > MAX_HEADERS or any(len(k) + len(v) > MAX_HEADER for k, v in headers if isinstance(v, str)):
        raise RequestHeaderFieldsTooLarge()


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, written by orjson, and a body nested too deep to parse is malformed like any
    other (Python's parser raises RecursionError; Flask expects ValueError for a bad body).

    orjson writes an answer about five times faster than the json module (an availability read's
    slots: ~8 µs against ~45 µs). It writes what Flask writes, but as UTF-8 rather than \\u
    escapes: datetimes, dates, Decimals and lazy strings still go through Flask's own
    `default`; what orjson cannot write (an integer past 64 bits) and calls with options
    (indent, separators) get Flask's writer; so does an indented answer (debug)."""

    _OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    def _orjson(self, obj) -> bytes:
        options = self._OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        return orjson.dumps(obj, default=self.default, option=options)

    def dumps(self, obj, **kwargs) -> str:
        if not kwargs:
            try:
                return self._orjson(obj).decode()
            except TypeError:  # orjson.JSONEncodeError: Flask's writer, which may still manage
                pass
        return super().dumps(obj, **kwargs)

    def response(self, *args, **kwargs):
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = self._orjson(obj) + b"\n"
        except TypeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(body, mimetype=self.mimetype)

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def page_arg(text) -> int:
    """For `request.args.get("page", 1, type=page_arg)`: a page number a person could reach."""
    value = whole_in_range(text, 1, 100_000)
    if value is None:
        raise ValueError("not a page")
    return value


# --- JSON bodies: the API and the scanner's JSON endpoints (checkin/views.py) -----------------

CONTROL_MESSAGE = _l("%(field)s contains characters that are not allowed (control characters).")
OUT_OF_RANGE = _l("Give a date from %(first)s to %(last)s.")


def out_of_range(field) -> BadRequest:
    return BadRequest(OUT_OF_RANGE, field=field, first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())


def json_body() -> dict:
    """The request's JSON object, or a 400 for anything else: not JSON, nested too deep to parse
    (booking.inputs.JSONProvider), or not an object (`1`, `"s"`, `[1, 2]`)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest()
    return data


def text_value(data: dict, name: str, multiline: bool = False):
    """A field the service checks itself (type, length), refused here with a 422 when it is text
    holding control characters (a text area may hold tabs and line breaks)."""
    value = data.get(name)
    if isinstance(value, str) and has_control(value, multiline=multiline):
        raise Invalid(CONTROL_MESSAGE, code="invalid_text", field=name)
    return value


def parse_instant(text, field="start", aware: bool = False) -> datetime:
    """An ISO 8601 instant; without an offset it is read as venue time by the caller
    (`aware=True`: an offset is required)."""
    message = _l("Give the time in ISO 8601, e.g. 2026-11-24T19:00:00+08:00.")
    if not isinstance(text, str) or not 10 <= len(text) <= 40:
        raise BadRequest(message, field=field)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(message, field=field)
    if aware and value.tzinfo is None:
        raise BadRequest(message, field=field)
    if not instant_in_range(value):
        raise out_of_range(field)
    return value
