"""The report queries: Core aggregates over bounded, indexed ranges of reservations.

Every statement filters on host_id (one, or an IN list), status IN (...) and a start_at range,
so it walks the (host_id, status, start_at) index instead of the whole table, and groups in
the database: the reports never load reservations one by one. Statements are built once per
dialect (only the minutes-of-a-booking expression differs) and run with database.fetch().
"""

from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import Float, bindparam, cast, distinct, func, select

from ..checkin.models import CheckinEvent
from ..database import fetch
from ..extensions import db
from ..organizations.models import Organization
from ..reservations.models import QUOTA_CONSUMING, Reservation

# Bookings the reports count: every one that took (or kept) a place. A no-show is counted: the
# place was held for it and nobody else could use it.
BOOKED = QUOTA_CONSUMING

_r = Reservation.__table__
_o = Organization.__table__
_e = CheckinEvent.__table__


def _minutes(dialect: str):
    """Length of one booking in minutes, as SQL."""
    if dialect == "sqlite":  # instants are stored as UTC text; julianday() reads them
        return func.round((func.julianday(_r.c.end_at) - func.julianday(_r.c.start_at)) * 1440.0)
    return cast(func.extract("epoch", _r.c.end_at - _r.c.start_at), Float) / 60.0


def _booked_between(host_filter):
    return (host_filter, _r.c.status.in_(BOOKED), _r.c.start_at >= bindparam("start"), _r.c.start_at < bindparam("end"))


@lru_cache(maxsize=4)
def statements(dialect: str) -> SimpleNamespace:
    minutes = _minutes(dialect)
    one_host = _booked_between(_r.c.host_id == bindparam("host_id"))
    some_hosts = _booked_between(_r.c.host_id.in_(bindparam("hosts", expanding=True)))
    return SimpleNamespace(
        # Per facility and slot start: what the heatmap and the no-show rates are made of.
        host_slots=select(
            _r.c.facility_id,
            _r.c.start_at,
            _r.c.status,
            func.count().label("bookings"),
            func.sum(_r.c.places * minutes).label("place_minutes"),
            func.sum(minutes).label("minutes"),
        )
        .where(*one_host)
        .group_by(_r.c.facility_id, _r.c.start_at, _r.c.status),
        host_enterprises=select(
            _r.c.enterprise_id,
            _o.c.name,
            func.count().label("bookings"),
            func.sum(minutes).label("minutes"),
            func.count(distinct(_r.c.user_id)).label("workers"),
        )
        .select_from(_r.join(_o, _o.c.id == _r.c.enterprise_id))
        .where(*one_host)
        .group_by(_r.c.enterprise_id, _o.c.name),
        host_totals=select(
            func.count().label("bookings"),
            func.sum(minutes).label("minutes"),
            func.count(distinct(_r.c.enterprise_id)).label("enterprises"),
            func.count(distinct(_r.c.user_id)).label("workers"),
        ).where(*one_host),
        district_hosts=select(
            _r.c.host_id,
            func.count().label("bookings"),
            func.sum(minutes).label("minutes"),
            func.count(distinct(_r.c.enterprise_id)).label("enterprises"),
            func.count(distinct(_r.c.user_id)).label("workers"),
        )
        .where(*some_hosts)
        .group_by(_r.c.host_id),
        district_totals=select(
            func.count().label("bookings"),
            func.sum(minutes).label("minutes"),
            func.count(distinct(_r.c.enterprise_id)).label("enterprises"),
            func.count(distinct(_r.c.user_id)).label("workers"),
        ).where(*some_hosts),
        # Scans made offline and synced later, by result: ok (let in) and no_show_conflict (to review).
        host_offline=select(_e.c.result, func.count().label("scans"))
        .select_from(_e.join(_r, _r.c.id == _e.c.reservation_id))
        .where(*one_host, _e.c.scanned_offline_at.is_not(None), _e.c.result.in_(("ok", "no_show_conflict")))
        .group_by(_e.c.result),
        # week_start is the booking's ISO week in its venue's time, stored with it.
        district_weeks=select(
            _r.c.host_id, _r.c.week_start, func.count().label("bookings"), func.sum(minutes).label("minutes")
        )
        .where(*some_hosts)
        .group_by(_r.c.host_id, _r.c.week_start),
    )


def run(name: str, **params):
    return fetch(getattr(statements(db.session.get_bind().dialect.name), name), **params)
