"""Parsing query and body values into plain types, with the contract's 400/422 errors."""
from datetime import date, datetime

from flask import request
from flask_babel import lazy_gettext as _l

from ..errors import BadRequest, Invalid
from ..inputs import FIRST_DAY, LAST_DAY, day_in_range, id_or_none, instant_in_range

OUT_OF_RANGE = _l("Give a date from %(first)s to %(last)s.")


def _out_of_range(field) -> BadRequest:
    return BadRequest(OUT_OF_RANGE, field=field, first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())


def parse_date(text, field="date") -> date:
    if not isinstance(text, str) or len(text) != 10:
        raise BadRequest(_l("Give the date as YYYY-MM-DD."), field=field)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(_l("Give the date as YYYY-MM-DD."), field=field)
    if not day_in_range(day):
        raise _out_of_range(field)
    return day


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
        raise _out_of_range(field)
    return value


def parse_id(value, field) -> int:
    if isinstance(value, str) or id_or_none(value) is None:
        raise Invalid(_l("%(field)s must be a positive whole number."), code="invalid_" + field, field=field)
    return value


def id_query(name: str) -> int | None:
    """An optional id in the query string; anything but a positive id in range is a 400."""
    text = request.args.get(name)
    if text is None:
        return None
    value = id_or_none(text)
    if value is None:
        raise BadRequest(field=name)
    return value
