"""What the packages above reservations add to a booking's life, registered by them at app init.

The waitlist and the draw book through this package's planner (booking.reservations.booking),
so this package never imports them: they register here instead (waitlist/views.py and
draw/views.py `register(app)`, called by create_app), and the graph of packages stays a tree.

* place freed (`place_freed`): a place of a slot came back (a cancel, a rejection, a host's
  cancel, a no-show released). Each listener runs inside the caller's write transaction, so
  the slot's line is served in the same commit (booking.waitlist.serving.serve_slot).
* slots reopened (`slots_reopened`): a closed period was removed: the facility's lines are
  served, in the caller's transaction too (serve_facility).
* first-come check (`check_first_come`): a slot given by a draw is not booked first-come while
  its draw is pending; the check raises the DomainError (booking.draw.services).

Registration is idempotent (create_app may run more than once in a process).
"""

from collections.abc import Callable
from datetime import datetime

_place_freed: list[Callable[[int, datetime, datetime], None]] = []
_slots_reopened: list[Callable[[int, datetime], None]] = []
_first_come_checks: list[Callable[[object, datetime, datetime], None]] = []


def _add(listeners: list, listener) -> None:
    if listener not in listeners:
        listeners.append(listener)


def on_place_freed(listener: Callable[[int, datetime, datetime], None]) -> None:
    """`listener(facility_id, start_at, now)` after a place of that slot came back."""
    _add(_place_freed, listener)


def on_slots_reopened(listener: Callable[[int, datetime], None]) -> None:
    """`listener(facility_id, now)` after a closed period of the facility was removed."""
    _add(_slots_reopened, listener)


def on_first_come(check: Callable[[object, datetime, datetime], None]) -> None:
    """`check(facility, slot_start, now)` raises when the slot may not be booked first-come."""
    _add(_first_come_checks, check)


def place_freed(facility_id: int, start_at: datetime, now: datetime) -> None:
    for listener in _place_freed:
        listener(facility_id, start_at, now)


def slots_reopened(facility_id: int, now: datetime) -> None:
    for listener in _slots_reopened:
        listener(facility_id, now)


def check_first_come(facility, slot_start: datetime, now: datetime) -> None:
    for check in _first_come_checks:
        check(facility, slot_start, now)
