"""A weekly team series: an enterprise admin books the same slot every week, as one thing.

The series is a row (ReservationSeries); each week is a booking of its own (booking.book, with
the series' id), so a week that cannot be booked is refused on its own and said why. The
series can then be listed, paused for a date range (its bookings then are cancelled and the
range remembered as skipped) or cancelled as a whole (its future bookings). Both release each
booking the way a cancel does (decisions.release: places, quota, the waitlist), one write
transaction for the whole series; a booking past its cancel cutoff stays, and is reported.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import timeutil
from ..accounts.models import User
from ..database import lock_row, write_transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities import rules
from ..facilities.models import Facility, Venue
from ..facilities.services import get_visible
from .booking import _party_size, book
from .decisions import _duration, release
from .models import AWAITED, Reservation, ReservationSeries, SeriesPause

MAX_WEEKS = 26


@dataclass
class BookedSeries:
    """What book_series did: the series, the venue's zone, and each week's outcome
    ({"start", "ok", "reservation", "code", "message"})."""

    series: ReservationSeries
    timezone: str
    results: list[dict] = field(default_factory=list)


@dataclass
class SeriesChange:
    """What a pause or cancel did: the bookings cancelled, and those kept (past their cancel
    cutoff) with the reason."""

    series: ReservationSeries
    cancelled: list[Reservation] = field(default_factory=list)
    kept: list[tuple[Reservation, str, str]] = field(default_factory=list)  # (booking, code, message)


def _admin_enterprise(admin: User) -> int:
    if not admin.is_worker or admin.enterprise_id not in admin.org_ids("enterprise_admin"):
        raise Forbidden(_l("Only an enterprise admin can book a series."))
    return admin.enterprise_id


def book_series(
    admin: User, facility_id: int, first_start: datetime, weeks: int, party_size=1, now: datetime | None = None
) -> BookedSeries:
    """An enterprise admin books the same slot every week; each occurrence stands on its own."""
    now = now or timeutil.utcnow()
    enterprise_id = _admin_enterprise(admin)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise Invalid(_l("A series has 1 to 26 weeks."), code="invalid_weeks")
    facility = get_visible(admin, facility_id)
    party = _party_size(party_size, facility)
    tz = facility.venue.timezone
    starts = timeutil.weekly(first_start, weeks, tz)
    with write_transaction():
        series = ReservationSeries(
            enterprise_id=enterprise_id,
            host_id=facility.venue.host_id,
            facility_id=facility.id,
            created_by_id=admin.id,
            first_start_at=starts[0],
            weeks=weeks,
            party_size=party,
            status="active",
            created_at=now,
        )
        db.session.add(series)
    out = BookedSeries(series, tz)
    for start in starts:
        try:
            r = book(admin, facility.id, start, party, now, series_id=series.id)
            out.results.append({"start": start, "ok": True, "reservation": r, "code": None, "message": None})
        except (Conflict, Invalid, NotFound) as err:
            out.results.append(
                {"start": start, "ok": False, "reservation": None, "code": err.code, "message": err.message}
            )
    return out


def list_series(admin: User, limit: int = 100) -> list[ReservationSeries]:
    """The series of the admin's enterprise, newest first, with their bookings and pauses."""
    enterprise_id = _admin_enterprise(admin)
    return list(
        db.session.scalars(
            select(ReservationSeries)
            .options(
                selectinload(ReservationSeries.facility).joinedload(Facility.venue).joinedload(Venue.host),
                selectinload(ReservationSeries.occurrences),
                selectinload(ReservationSeries.pauses),
            )
            .where(ReservationSeries.enterprise_id == enterprise_id)
            .order_by(ReservationSeries.id.desc())
            .limit(limit)
        )
    )


def get_series(admin: User, series_id: int) -> ReservationSeries:
    enterprise_id = _admin_enterprise(admin)
    series = db.session.get(ReservationSeries, series_id)
    if series is None or series.enterprise_id != enterprise_id:
        raise NotFound()
    return series


def skipped(series: ReservationSeries, occurrence: Reservation) -> bool:
    """Whether the booking's (venue-local) day falls in one of the series' pauses."""
    day = timeutil.local_date(occurrence.start_at, series.facility.venue.timezone)
    return any(p.first_day <= day <= p.last_day for p in series.pauses)


def pause_series(
    admin: User, series_id: int, first_day: date, last_day: date, now: datetime | None = None
) -> SeriesChange:
    """Skip the weeks from first_day to last_day (venue-local dates, both included): their
    bookings are cancelled, place and quota given back; one past its cutoff stays."""
    now = now or timeutil.utcnow()
    if not isinstance(first_day, date) or not isinstance(last_day, date) or last_day < first_day:
        raise Invalid(_l("The last day must be on or after the first day."), code="invalid_range", field="until")
    with write_transaction():
        series = _locked(admin, series_id)
        tz = series.facility.venue.timezone
        out = _release_all(admin, series, now, lambda r: first_day <= timeutil.local_date(r.start_at, tz) <= last_day)
        db.session.add(
            SeriesPause(
                series_id=series.id, first_day=first_day, last_day=last_day, created_by_id=admin.id, created_at=now
            )
        )
    db.session.refresh(series)
    return out


def cancel_series(admin: User, series_id: int, now: datetime | None = None) -> SeriesChange:
    """Cancel the series: its future bookings are cancelled (past ones stay as they are); one
    past its cancel cutoff stays, and is reported."""
    now = now or timeutil.utcnow()
    with write_transaction():
        series = _locked(admin, series_id)
        out = _release_all(admin, series, now, lambda r: True)
        series.status, series.cancelled_at, series.cancelled_by_id = "cancelled", now, admin.id
    db.session.refresh(series)
    return out


def _locked(admin: User, series_id: int) -> ReservationSeries:
    """The series' row, locked (a pause and a cancel of one series wait for each other)."""
    enterprise_id = _admin_enterprise(admin)
    series = lock_row(ReservationSeries, series_id)
    if series is None or series.enterprise_id != enterprise_id:
        raise NotFound()
    if series.status != "active":
        raise Conflict(_l("This series is already cancelled."), code="series_cancelled")
    return series


def _release_all(admin: User, series: ReservationSeries, now: datetime, chosen) -> SeriesChange:
    """Cancel the series' future bookings that `chosen` picks, each on its locked row."""
    out = SeriesChange(series)
    ids = db.session.scalars(
        select(Reservation.id)
        .where(Reservation.series_id == series.id, Reservation.start_at > now)
        .order_by(Reservation.start_at)
    )
    for rid in list(ids):
        r = lock_row(Reservation, rid)
        if r is None or r.status not in AWAITED or not chosen(r):
            continue
        cutoff = r.facility.cancel_cutoff_minutes
        if not rules.can_cancel(r.start_at, now, cutoff):
            out.kept.append(
                (
                    r,
                    "too_late_to_cancel",
                    str(_l("Bookings can be cancelled up to %(hours)s before they start.", hours=_duration(cutoff))),
                )
            )
            continue
        release(r, admin.id, now)
        out.cancelled.append(r)
    return out
