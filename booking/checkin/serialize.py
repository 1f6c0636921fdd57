"""The door's answers in JSON, the same for the API and the web scanner."""

from ..reservations.serialize import reservation_json
from ..timeutil import isoformat_local
from .services import window_of


def scan_answer(result: str, reservation) -> dict:
    """The answer to a door scan: its result, and the booking unless it is another host's."""
    body = {"result": result}
    if reservation is not None and result != "wrong_host":
        body["reservation"] = reservation_json(reservation)
    return body


def manifest_reservation_json(r) -> dict:
    """A booking as an offline scanner keeps it: the reservation and its check-in window."""
    tz = r.facility.venue.timezone
    return {**reservation_json(r), "window": [isoformat_local(t, tz) for t in window_of(r)]}
