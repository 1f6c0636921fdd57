"""Which facilities a person may see and book, and a facility's slots for a day."""

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, or_, select

from .. import timeutil
from ..cache import cached, last_known
from ..database import fetch
from ..errors import NotFound
from ..extensions import db
from ..quotas.services import agreement_terms, shared_facility_ids
from . import rules, snapshot
from .models import Blackout, Facility, Venue


def slot_rules(facility) -> rules.SlotRules:
    if getattr(facility, "rules", None) is not None:  # a FacilitySnapshot has them computed
        return facility.rules
    return rules.rules_of(
        facility, facility.venue.timezone, [(h.weekday, h.opens_minute, h.closes_minute) for h in facility.hours]
    )


def load_facility(facility_id: int):
    """A facility as the hot paths read it (FacilitySnapshot: one prebuilt query, cached per
    settings token), or None."""
    return cached("facility", (facility_id,), lambda: snapshot.load(facility_id))


def last_known_facility(facility_id: int):
    """load_facility()'s last answer in this process, unchecked (cache.last_known), or None."""
    return last_known("facility", (facility_id,))


def managed_host_ids(user) -> set[int]:
    return user.org_ids("host_staff")


def manages(user, facility: Facility) -> bool:
    return facility.venue.host_id in managed_host_ids(user)


def may_book(user, facility, day: date) -> bool:
    return bool(
        user.is_worker
        and facility.active
        and agreement_terms(user.enterprise_id, facility.venue.host_id, facility.id, day)
    )


def get_visible(user, facility_id: int, day: date | None = None) -> Facility:
    """A facility the user may book or manages; anything else is not revealed (NotFound)."""
    return visible_for_booking(user, facility_id, day)[0]


def visible_for_booking(user, facility_id: int, day: date | None) -> tuple[Facility, bool]:
    """(facility, may the user book it on `day`), or NotFound outside the user's scope."""
    facility = load_facility(facility_id)
    if facility is None:
        raise NotFound()
    day = day or timeutil.local_date(timeutil.utcnow(), facility.venue.timezone)
    can_book = may_book(user, facility, day)
    if not can_book and not manages(user, facility):
        raise NotFound()
    return facility, can_book


def visible_facilities(user, day: date, kind: str | None = None, host_id: int | None = None) -> list[Facility]:
    """Facilities the user may book on `day`, and (staff) those they manage."""
    conditions = []
    if user.is_worker:
        whole_hosts, single = shared_facility_ids(user.enterprise_id, day)
        if whole_hosts:
            conditions.append(Venue.host_id.in_(whole_hosts))
        if single:
            conditions.append(Facility.id.in_(single))
    managed = managed_host_ids(user)
    if managed:
        conditions.append(Venue.host_id.in_(managed))
    if not conditions:
        return []
    stmt = (
        select(Facility)
        .join(Venue)
        .where(or_(*conditions))
        .where(or_(Facility.active.is_(True), Venue.host_id.in_(managed) if managed else False))
    )
    if kind:
        stmt = stmt.where(Facility.kind == kind)
    if host_id:
        stmt = stmt.where(Venue.host_id == host_id)
    return list(db.session.scalars(stmt.order_by(Venue.host_id, Venue.id, Facility.id)))


# The blackouts of facility :facility_id that touch [:start, :end): the WHERE of every prebuilt
# statement that reads them (this one, the day's state, a booking's plan).
BLACKOUTS_TOUCHING = (
    Blackout.facility_id == bindparam("facility_id"),
    Blackout.starts_at < bindparam("end"),
    Blackout.ends_at > bindparam("start"),
)
_BLACKOUTS = select(Blackout.starts_at, Blackout.ends_at).where(*BLACKOUTS_TOUCHING)


def blackouts_between(facility_id: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    return [tuple(b) for b in fetch(_BLACKOUTS, facility_id=facility_id, start=start, end=end)]


def upcoming_days(tz: str, now: datetime, count: int) -> list[date]:
    today = timeutil.local_date(now, tz)
    return [today + timedelta(days=i) for i in range(count)]
