"""A facility as the hot paths (availability, booking) read it: one prebuilt query.

The snapshot has the attribute paths of the ORM objects that templates and serializers use
(facility.venue.timezone, facility.venue.host.name, ...) and its slot rules, computed once.
"""

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from ..database import fetch
from ..organizations.models import Organization
from .models import Facility, OpeningHours, Venue
from .rules import SlotRules, rules_of


@dataclass(frozen=True)
class HostRef:
    id: int
    name: str


@dataclass(frozen=True)
class VenueRef:
    id: int
    name: str
    address: str
    timezone: str
    host_id: int
    host: HostRef


@dataclass(frozen=True)
class FacilitySnapshot:
    id: int
    venue_id: int
    name: str
    kind: str
    capacity: int
    slot_minutes: int
    requires_approval: bool
    window_days: int
    window_opens_minute: int
    min_notice_minutes: int
    cancel_cutoff_minutes: int
    checkin_before_minutes: int
    checkin_after_minutes: int
    description: str
    active: bool
    rules_version: int
    allocation: str
    draw_days_before: int
    draw_minute: int
    venue: VenueRef
    hours: tuple = ()
    rules: SlotRules = field(default=None, compare=False)

    @property
    def is_court(self) -> bool:
        return self.capacity == 1


_f, _v, _o, _h = Facility.__table__, Venue.__table__, Organization.__table__, OpeningHours.__table__
_COLUMNS = [c for c in FacilitySnapshot.__dataclass_fields__ if c not in ("venue", "hours", "rules")]
FACILITY = (
    select(
        *[_f.c[c] for c in _COLUMNS],
        _v.c.name.label("venue_name"),
        _v.c.address,
        _v.c.timezone,
        _v.c.host_id,
        _o.c.name.label("host_name"),
        _h.c.weekday,
        _h.c.opens_minute,
        _h.c.closes_minute,
    )
    .select_from(
        _f.join(_v, _v.c.id == _f.c.venue_id)
        .join(_o, _o.c.id == _v.c.host_id)
        .outerjoin(_h, _h.c.facility_id == _f.c.id)
    )
    .where(_f.c.id == bindparam("facility_id"))
)


def load(facility_id: int) -> FacilitySnapshot | None:
    rows = fetch(FACILITY, facility_id=facility_id).all()
    if not rows:
        return None
    r = rows[0]
    periods = sorted((row.weekday, row.opens_minute, row.closes_minute) for row in rows if row.weekday is not None)
    venue = VenueRef(r.venue_id, r.venue_name, r.address, r.timezone, r.host_id, HostRef(r.host_id, r.host_name))
    return FacilitySnapshot(
        **{c: r._mapping[c] for c in _COLUMNS},
        venue=venue,
        hours=tuple(periods),
        rules=rules_of(r, r.timezone, periods),
    )
