"""What availability shows of the lines, read only: one prebuilt statement, no write.

Offers that ran out and lines of slots that started are ended by the serving (the
expire-offers job, every minute, and any write that touches the slot: a join, an accept, a
cancel). Until then a read shows the slot as that serving will leave it: a run-out offer's
places go back to the slot and pass to the waiting entries that fit, in line order (as
serving.serve_slot walks the line); a started slot has nobody waiting.
"""

from datetime import datetime

from sqlalchemy import bindparam, select

from ..database import written_in
from .models import ACTIVE, WaitlistEntry
from .rules import offer_ran_out

_E = WaitlistEntry.__table__.c
# The active entries of a facility's slots starting in [start, end), as rows of the
# availability read's day state (reservations.availability.DAY_STATE_PARTS): one round trip.
LINE_ROWS = select(_E.status, _E.start_at, _E.offer_expires_at, _E.places, _E.id).where(
    _E.facility_id == bindparam("facility_id"),
    _E.start_at >= bindparam("start"),
    _E.start_at < bindparam("end"),
    _E.status.in_(written_in(ACTIVE)),
)  # written into the SQL: no re-rendering per call


def lines(rows) -> dict[datetime, list]:
    """LINE_ROWS' rows by slot, in line order: {start: [(status, places, offer_expires_at), ...]}."""
    out: dict[datetime, list] = {}
    for status, start_at, expires, places, _id in sorted(rows, key=lambda r: (r[1], r[4])):
        out.setdefault(start_at, []).append((status, places, expires))
    return out


def as_served(line: list, start_at: datetime, free: int, now: datetime) -> tuple[int, int]:
    """(places free, entries waiting) once the slot's due serving has run: `free` is what the
    slot's counter leaves (run-out offers still counted as held)."""
    if start_at <= now:  # the line has ended; its offers' holds come back
        return free + sum(places for status, places, _ in line if status == "offered"), 0
    freed = sum(
        places for status, places, expires in line if status == "offered" and offer_ran_out(expires, start_at, now)
    )
    waiting = [places for status, places, _ in line if status == "waiting"]
    if not freed:  # nothing due: the line stands as stored
        return free, len(waiting)
    free += freed
    left = 0
    for places in waiting:
        if places <= free:
            free -= places  # served: booked or offered, it holds these places
        else:
            left += 1
    return free, left
