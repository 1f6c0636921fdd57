"""How objects look in JSON: times with the venue's offset, references as {id, name}."""

# A booking's JSON and the door's answers live with their packages (the web scanner answers the
# same JSON without importing the API); the API's handlers import them from here.
from ..checkin.serialize import manifest_reservation_json, scan_answer  # noqa: F401
from ..reservations.serialize import ref, reservation_json  # noqa: F401
from ..timeutil import formatter


def facility_json(f) -> dict:
    return {
        "id": f.id,
        "name": f.name,
        "kind": f.kind,
        "capacity": f.capacity,
        "slot_minutes": f.slot_minutes,
        "requires_approval": f.requires_approval,
        "active": f.active,
        "venue": {"id": f.venue.id, "name": f.venue.name, "timezone": f.venue.timezone, "address": f.venue.address},
        "host": ref(f.venue.host),
        "booking_window": {
            "days_ahead": f.window_days,
            "opens_at_minute": f.window_opens_minute,
            "min_notice_minutes": f.min_notice_minutes,
        },
        "cancel_cutoff_minutes": f.cancel_cutoff_minutes,
        "allocation": f.allocation,
        "draw_time": {"days_before": f.draw_days_before, "at_minute": f.draw_minute}
        if f.allocation == "draw"
        else None,
    }


_FORMATTERS: dict = {}  # tz -> [formatter, uses]: its offsets are kept across requests


def _formatter(tz: str):
    """The zone's formatter, renewed every 50,000 uses so the offsets it keeps stay few."""
    found = _FORMATTERS.get(tz)
    if found is None or found[1] > 50_000:
        found = _FORMATTERS[tz] = [formatter(tz), 0]
    found[1] += 1
    return found[0]


def slots_json(slots: list[dict], tz: str) -> list[dict]:
    iso = _formatter(tz)
    out = []
    for slot in slots:
        item = {
            "start": iso(slot["start"]),
            "end": iso(slot["end"]),
            "capacity": slot["capacity"],
            "remaining": slot["remaining"],
            "bookable": slot["bookable"],
        }
        if slot["reason"]:
            item["reason"] = slot["reason"]
        out.append(item)
    return out
