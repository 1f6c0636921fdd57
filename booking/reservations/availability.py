"""What is free when: a facility's slots of a day with the places left, read in one round trip.

Slot state lives here, with the bookings that hold it (SlotLoad, the per-slot counter), and is
only read: giving places back is release-no-shows' job (and passing them along a waitlist is the
waitlist's: a caller shows what that will do through `served`).
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, literal_column, select, union_all

from ..database import fetch
from ..facilities import rules
from ..facilities.models import Blackout, Facility
from ..facilities.services import BLACKOUTS_TOUCHING, last_known_facility, slot_rules, visible_for_booking
from .models import AWAITED, Reservation, SlotLoad

# One round trip for a day view: places held per slot, and the blackouts touching the day.
# Rows (kind, a, b, n, k); a caller may add its own parts (other kinds, same columns and bind
# parameters facility_id, start, end) to read what it shows of the day in the same round trip.
# The constants are written into the SQL (literal_column), not sent as parameters: fewer to bind
# on every read.
DAY_STATE_PARTS = (
    select(
        literal_column("'h'").label("kind"),
        SlotLoad.start_at.label("a"),
        SlotLoad.start_at.label("b"),
        SlotLoad.held.label("n"),
        literal_column("0").label("k"),
    ).where(
        SlotLoad.facility_id == bindparam("facility_id"),
        SlotLoad.start_at >= bindparam("start"),
        SlotLoad.start_at < bindparam("end"),
    ),
    select(literal_column("'b'"), Blackout.starts_at, Blackout.ends_at, literal_column("0"), literal_column("0")).where(
        *BLACKOUTS_TOUCHING
    ),
)
DAY_STATE = union_all(*DAY_STATE_PARTS)


def _day_state(rows):
    held, blackouts, other = {}, [], []
    for row in rows:
        kind = row[0]
        if kind == "h":
            held[row[1]] = row[3]
        elif kind == "b":
            blackouts.append((row[1], row[2]))
        else:
            other.append(tuple(row))
    return held, blackouts, other


_SLOTS: dict = {}  # (id of a SlotRules, day) -> (those rules, the day's slots)
_SLOTS_MAX = 4096


def _day_slots(sr: rules.SlotRules, day: date) -> list[tuple[datetime, datetime]]:
    """rules.day_slots, kept per process for the rules object it was laid from: a facility's
    rules come from its snapshot (facilities.services.load_facility), cached per settings token,
    so changed hours or slot length bring new rules and a new entry. Read only: not to be changed."""
    found = _SLOTS.get((id(sr), day))
    if found is not None and found[0] is sr:
        return found[1]
    slots = rules.day_slots(sr, day)
    if len(_SLOTS) >= _SLOTS_MAX:
        _SLOTS.clear()
    _SLOTS[(id(sr), day)] = (sr, slots)
    return slots


Served = Callable[[list[tuple]], Callable[[datetime, int], int]]

# A day's state read ahead, along with something else (read_ahead): (its parameters, its rows).
ReadAhead = tuple[dict, list[tuple]]


def _day_read(facility_id: int, slots: list) -> dict:
    """The parameters of the day-state read of a facility's day (`slots`: _day_slots, not empty)."""
    return {"facility_id": facility_id, "start": slots[0][0], "end": slots[-1][1]}


def read_ahead(facility_id: int, day: date) -> dict | None:
    """The parameters of the day-state read as this process last knew the facility (its cached
    snapshot, cache.last_known: before the request's tokens are read), so that a caller can read
    the day in the same round trip as what it must read first (accounts.principal.with_caller);
    None when this process has not read the facility, or the day has none of its slots. day_view
    uses those rows only if the facility, once the tokens are read, gives the same parameters:
    the rows depend on nothing else, so they are the rows its own read would have given."""
    facility = last_known_facility(facility_id)
    slots = _day_slots(slot_rules(facility), day) if facility is not None else None
    return _day_read(facility_id, slots) if slots else None


def day_view(
    facility: Facility,
    day: date,
    now: datetime,
    can_book: bool,
    statement=DAY_STATE,
    served: Served | None = None,
    ahead: ReadAhead | None = None,
) -> list[dict]:
    """The slots of a day with places left and whether each can be booked now.

    `statement`: DAY_STATE with a caller's parts; `served(rows of those parts)` returns
    `after(start, free)`: the places free once what is due on the slot has run (read only, e.g.
    a run-out waitlist offer passed on), from the places its counter leaves free. `ahead`: the
    rows of `statement`'s parts already read (read_ahead), used when their parameters hold."""
    sr = slot_rules(facility)
    slots = _day_slots(sr, day)
    if not slots:
        return []
    read = _day_read(facility.id, slots)
    held, blackouts, other = _day_state(
        ahead[1] if ahead is not None and ahead[0] == read else fetch(statement, **read)
    )
    after = served(other) if served is not None else None
    for start, places in _unclaimed_places(facility, slots, held, now).items():
        held[start] -= places
    window = rules.day_window(sr, day)
    out = []
    for start, end in slots:
        free = facility.capacity - held.get(start, 0)
        remaining = max(after(start, free) if after is not None else free, 0)
        reason = None
        if blackouts and rules.blacked_out(start, end, blackouts):
            reason = "closed"
        elif not facility.active:
            reason = "closed"
        elif window(start, now):
            reason = "outside_window"
        elif remaining == 0:
            reason = "slot_full"
        elif not can_book:
            reason = "not_shared"
        out.append(
            {
                "start": start,
                "end": end,
                "capacity": facility.capacity,
                "remaining": remaining,
                "bookable": reason is None,
                "reason": reason,
            }
        )
    return out


# Places still held by bookings nobody checked in for, in slots whose check-in window closed.
_UNCLAIMED = (
    select(Reservation.start_at, func.sum(Reservation.places))
    .where(
        Reservation.facility_id == bindparam("facility_id"),
        Reservation.start_at.in_(bindparam("starts", expanding=True)),
        Reservation.status.in_(AWAITED),
    )
    .group_by(Reservation.start_at)
)


def _unclaimed_places(facility, slots, held: dict, now: datetime) -> dict:
    """A slot under way whose check-in window has closed: the places of those who did not come
    are shown free right away, whether or not `release-no-shows` has run yet. Only reads: the
    release itself (a write of the reservations package) is the cron's."""
    after = timedelta(minutes=facility.checkin_after_minutes)
    stale = [start for start, end in slots if held.get(start) and start + after < now < end]
    return dict(fetch(_UNCLAIMED, facility_id=facility.id, starts=stale).all()) if stale else {}


def availability(
    user,
    facility_id: int,
    day: date,
    now: datetime,
    statement=DAY_STATE,
    served: Served | None = None,
    ahead: ReadAhead | None = None,
) -> tuple[Facility, list[dict]]:
    """The facility (NotFound outside the user's scope) and its slots of `day` for the user
    (`statement`, `served`, `ahead`: as day_view's)."""
    facility, can_book = visible_for_booking(user, facility_id, day)
    return facility, day_view(facility, day, now, can_book, statement, served, ahead)
