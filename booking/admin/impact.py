"""Which future bookings a change of facility settings hits, and whether they may stay.

The per-slot counter (SlotLoad) is keyed by a slot's start, and a booking keeps its start and
end whatever happens to the facility later. A booking may therefore stay only where no slot
of the new grid overlaps it other than its very own slot (else a new booking could share its
time under another counter), and only while its slot holds no more than the new capacity.
Bookings the new hours leave outside every slot, or of a retired facility, may stay: nobody
can book next to them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from .. import timeutil
from ..extensions import db
from ..facilities import rules
from ..reservations.models import HOLDING, Reservation, SlotLoad

OVER_CAPACITY = "over_capacity"  # its slot holds more than the new capacity
OFF_GRID = "off_grid"  # a slot of the new grid overlaps it: must go
OUTSIDE_HOURS = "outside_hours"  # the facility is now closed then: may stay
RETIRED = "retired"  # the facility takes no more bookings: may stay
BLOCKING = (OVER_CAPACITY, OFF_GRID)


@dataclass
class Hit:
    reservation: Reservation
    why: str

    @property
    def blocking(self) -> bool:
        return self.why in BLOCKING


def future_bookings(facility_ids, now: datetime) -> list[Reservation]:
    """Bookings of these facilities that start after `now` and still hold their place."""
    return list(
        db.session.scalars(
            select(Reservation)
            .where(
                Reservation.facility_id.in_(list(facility_ids)),
                Reservation.status.in_(HOLDING),
                Reservation.start_at > now,
            )
            .order_by(Reservation.start_at, Reservation.id)
        )
    )


def _held(facility_id: int, starts) -> dict:
    return {
        row.start_at: row.held
        for row in db.session.execute(
            select(SlotLoad.start_at, SlotLoad.held).where(
                SlotLoad.facility_id == facility_id, SlotLoad.start_at.in_(list(starts))
            )
        )
    }


def hits(
    facility_id: int,
    new_rules: rules.SlotRules,
    capacity: int,
    active: bool,
    now: datetime,
    bookings: list[Reservation] | None = None,
) -> list[Hit]:
    """The future bookings of a facility that its new settings hit, in time order."""
    bookings = future_bookings([facility_id], now) if bookings is None else bookings
    if not bookings:
        return []
    if not active:
        return [Hit(r, RETIRED) for r in bookings]
    held = _held(facility_id, {r.start_at for r in bookings})
    grids: dict = {}
    out = []
    for r in bookings:
        days = {
            timeutil.local_date(r.start_at, new_rules.timezone),
            timeutil.local_date(r.end_at - timedelta(microseconds=1), new_rules.timezone),
        }
        for day in days - grids.keys():
            grids[day] = rules.day_slots(new_rules, day)
        touching = sorted(s for day in days for s in grids[day] if rules.overlaps(s[0], s[1], r.start_at, r.end_at))
        if not touching:
            out.append(Hit(r, OUTSIDE_HOURS))
        elif touching != [(r.start_at, r.end_at)]:
            out.append(Hit(r, OFF_GRID))
        elif held.get(r.start_at, 0) > capacity:
            out.append(Hit(r, OVER_CAPACITY))
    return out
