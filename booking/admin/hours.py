"""Weekly opening hours as people type them: "08:00-12:00, 14:00-22:00" per weekday.

Pure functions, no app needed. Minutes are local minutes from midnight; a period may close at
24:00 (1440). A blank weekday is closed.
"""

import re

from flask_babel import lazy_gettext as _l

DAY_MINUTES = 24 * 60
_PERIOD_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—~～至到]\s*(\d{1,2}):(\d{2})$")
_SEPARATORS = re.compile(r"[,，;；、\n]+")


class HoursError(ValueError):
    """A weekday's text that is not valid opening hours; `message` says why (translated lazily)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _minute(hh: str, mm: str, allow_end_of_day: bool) -> int:
    hours, minutes = int(hh), int(mm)
    if allow_end_of_day and hours == 24 and minutes == 0:
        return DAY_MINUTES
    if hours > 23 or minutes > 59:
        raise HoursError(_l("%(value)s is not a time of day (use 00:00 to 24:00).", value=f"{hh}:{mm}"))
    return hours * 60 + minutes


def parse_day(text: str | None) -> list[tuple[int, int]]:
    """The periods of one weekday, in order; raises HoursError with a message for the person."""
    periods = []
    for part in _SEPARATORS.split((text or "").strip()):
        part = part.strip()
        if not part:
            continue
        match = _PERIOD_RE.match(part)
        if not match:
            raise HoursError(_l("Write each period as HH:MM-HH:MM, e.g. 08:00-12:00, 14:00-22:00."))
        opens = _minute(match[1], match[2], allow_end_of_day=False)
        closes = _minute(match[3], match[4], allow_end_of_day=True)
        if closes <= opens:
            raise HoursError(_l("%(period)s closes before it opens.", period=part))
        periods.append((opens, closes))
    periods.sort()
    for (_, first_closes), (second_opens, _) in zip(periods, periods[1:]):
        if second_opens < first_closes:
            raise HoursError(_l("Two periods overlap; make each start after the one before closes."))
    return periods


def check_week(week: dict) -> dict[int, list[tuple[int, int]]]:
    """Validate {weekday: [(opens, closes)]} given as numbers (an API or a test's input)."""
    out = {}
    for weekday, periods in (week or {}).items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise HoursError(_l("A weekday is a number from 0 (Monday) to 6 (Sunday)."))
        text = ", ".join(f"{format_minute(o)}-{format_minute(c)}" if _whole(o, c) else "?" for o, c in periods)
        out[weekday] = parse_day(text) if periods else []
    return out


def _whole(*values) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= DAY_MINUTES for v in values)


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_day(periods) -> str:
    return ", ".join(f"{format_minute(o)}-{format_minute(c)}" for o, c in periods)
