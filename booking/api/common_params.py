"""Parsing query and body values into plain types, with the contract's 400/422 errors."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from ..errors import BadRequest, Invalid


def parse_date(text, field="date") -> date:
    if not isinstance(text, str) or len(text) != 10:
        raise BadRequest(_l("Give the date as YYYY-MM-DD."), field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(_l("Give the date as YYYY-MM-DD."), field=field)


def parse_instant(text, field="start") -> datetime:
    """An ISO 8601 instant; without an offset it is read as venue time by the caller."""
    if not isinstance(text, str) or not 10 <= len(text) <= 40:
        raise BadRequest(_l("Give the time in ISO 8601, e.g. 2026-11-24T19:00:00+08:00."), field=field)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(_l("Give the time in ISO 8601, e.g. 2026-11-24T19:00:00+08:00."), field=field)


def parse_id(value, field) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise Invalid(_l("%(field)s must be a positive whole number."), code="invalid_" + field, field=field)
    return value
