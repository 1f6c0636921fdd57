"""The only place that converts between UTC and a venue's local time.

Everything stored is aware UTC; everything shown or reasoned about in calendar terms
(opening hours, ISO weeks, "today") goes through these functions.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc
# The federation's zone: venues are created in it, and "today" outside any venue is read in it
# (the app's DEFAULT_TIMEZONE setting may name another: booking.i18n.home_timezone()).
DEFAULT_TIMEZONE = "Asia/Shanghai"


def utcnow() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_zone(name: str) -> bool:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def to_local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(zone(tz))


def local_to_utc(day: date, minute_of_day: int, tz: str) -> datetime:
    """The UTC instant of `minute_of_day` minutes after local midnight on `day`.

    Counting minutes from midnight in local wall time; across a DST change the wall
    clock is what opening hours mean, so we build the wall time and let zoneinfo map it.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minute_of_day)
    return wall.replace(tzinfo=zone(tz)).astimezone(UTC)


def day_converter(day: date, tz: str) -> Callable[[int], datetime]:
    """f(minute_of_day) -> UTC instant, for many minutes of one local day.

    On a day without a UTC offset change (nearly all), it is plain arithmetic from local
    midnight; on a DST day every minute goes through local_to_utc.
    """
    start, end = local_to_utc(day, 0, tz), local_to_utc(day + timedelta(days=1), 0, tz)
    if end - start != timedelta(days=1):
        return lambda minute: local_to_utc(day, minute, tz)
    return lambda minute: start + timedelta(minutes=minute)


def formatter(tz: str) -> Callable[[datetime], str]:
    """f(instant) -> ISO 8601 with the venue's offset; remembers offsets it has seen (hot path:
    every slot of an availability answer is formatted twice)."""
    zone_ = zone(tz)
    offsets: dict = {}
    texts: dict = {}  # instant -> its text: the same slots are read again and again

    def iso(instant: datetime) -> str:
        text = texts.get(instant)
        if text is not None:
            return text
        # Offsets change only on quarter hours (anywhere in the world): one lookup per quarter.
        naive = instant.replace(tzinfo=None)
        quarter = naive - timedelta(minutes=naive.minute % 15, seconds=naive.second, microseconds=naive.microsecond)
        found = offsets.get(quarter)
        if found is None:
            offset = quarter.replace(tzinfo=UTC).astimezone(zone_).utcoffset() or timedelta(0)
            found = offsets[quarter] = (offset, _offset_text(offset))
        if len(texts) >= _FORMATTED_MAX:
            texts.clear()
        text = texts[instant] = (naive + found[0]).isoformat(timespec="seconds") + found[1]
        return text

    return iso


_FORMATTED_MAX = 20_000  # instants' texts a formatter keeps (a few MB at most)


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC."""
    return local_to_utc(day, 0, tz), local_to_utc(day + timedelta(days=1), 0, tz)


def local_date(instant: datetime, tz: str) -> date:
    return to_local(instant, tz).date()


def minute_of_day(instant: datetime, tz: str) -> int:
    local = to_local(instant, tz)
    return local.hour * 60 + local.minute


def week_start(day: date) -> date:
    """Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def isoformat_local(instant: datetime, tz: str) -> str:
    """ISO 8601 with the venue's offset, seconds precision, e.g. 2026-11-24T19:00:00+08:00."""
    return to_local(instant, tz).isoformat(timespec="seconds")


def as_utc(value: datetime, tz: str) -> datetime:
    """An instant from a client: aware values keep their offset; naive ones are venue-local."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz))
    return value.astimezone(UTC)


def weekly(first: datetime, weeks: int, tz: str) -> list[datetime]:
    """`first` and the same local wall time on each following week, `weeks` in all, in UTC
    (the UTC offset may change between them: a weekly slot keeps its local hour)."""
    local = to_local(as_utc(first, tz), tz)
    minute = local.hour * 60 + local.minute
    return [local_to_utc(local.date() + timedelta(weeks=i), minute, tz) for i in range(weeks)]
