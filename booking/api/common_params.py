"""Parsing query and body values into plain types, with the contract's 400/422 errors."""

from datetime import date

from flask import request
from flask_babel import lazy_gettext as _l

from ..errors import BadRequest, Invalid
from ..inputs import day_in_range, id_or_none, out_of_range
from ..inputs import parse_instant as parse_instant


def parse_date(text, field="date") -> date:
    if not isinstance(text, str) or len(text) != 10:
        raise BadRequest(_l("Give the date as YYYY-MM-DD."), field=field)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(_l("Give the date as YYYY-MM-DD."), field=field)
    if not day_in_range(day):
        raise out_of_range(field)
    return day


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
