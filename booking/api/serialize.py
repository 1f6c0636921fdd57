"""How objects look in JSON: times with the venue's offset, references as {id, name}."""
from ..timeutil import formatter, isoformat_local


def ref(obj) -> dict | None:
    return {"id": obj.id, "name": obj.name} if obj is not None else None


def facility_json(f) -> dict:
    return {
        "id": f.id, "name": f.name, "kind": f.kind, "capacity": f.capacity,
        "slot_minutes": f.slot_minutes, "requires_approval": f.requires_approval, "active": f.active,
        "venue": {"id": f.venue.id, "name": f.venue.name, "timezone": f.venue.timezone,
                  "address": f.venue.address},
        "host": ref(f.venue.host),
        "booking_window": {"days_ahead": f.window_days, "opens_at_minute": f.window_opens_minute,
                           "min_notice_minutes": f.min_notice_minutes},
        "cancel_cutoff_minutes": f.cancel_cutoff_minutes,
    }


def slots_json(slots: list[dict], tz: str) -> list[dict]:
    iso = formatter(tz)
    out = []
    for slot in slots:
        item = {"start": iso(slot["start"]), "end": iso(slot["end"]), "capacity": slot["capacity"],
                "remaining": slot["remaining"], "bookable": slot["bookable"]}
        if slot["reason"]:
            item["reason"] = slot["reason"]
        out.append(item)
    return out


def reservation_json(r, facility=None, user=None) -> dict:
    """`facility` and `user` may be given when the caller has them (a snapshot, the Principal):
    then nothing is loaded."""
    facility = facility or r.facility
    user = user if user is not None and user.id == r.user_id else r.user
    enterprise = user.enterprise if getattr(user, "enterprise_id", None) == r.enterprise_id else r.enterprise
    tz = facility.venue.timezone
    return {
        "id": r.id, "status": r.status, "facility_id": r.facility_id,
        "facility": {"id": facility.id, "name": facility.name, "kind": facility.kind},
        "venue": {"id": facility.venue.id, "name": facility.venue.name, "timezone": tz},
        "host": ref(facility.venue.host),
        "start": isoformat_local(r.start_at, tz), "end": isoformat_local(r.end_at, tz),
        "party_size": r.party_size, "places": r.places, "code": r.code,
        "user": {"id": user.id, "username": user.username, "display_name": user.display_name},
        "enterprise": ref(enterprise),
        "reason": r.reason,
        "created_at": isoformat_local(r.created_at, tz),
        "checked_in_at": isoformat_local(r.checked_in_at, tz) if r.checked_in_at else None,
    }


def scan_answer(result: str, reservation) -> dict:
    """The answer to a door scan: its result, and the booking unless it is another host's."""
    body = {"result": result}
    if reservation is not None and result != "wrong_host":
        body["reservation"] = reservation_json(reservation)
    return body


def manifest_reservation_json(r) -> dict:
    """A booking as an offline scanner keeps it: the reservation and its check-in window."""
    from ..checkin.services import window_of
    tz = r.facility.venue.timezone
    return {**reservation_json(r), "window": [isoformat_local(t, tz) for t in window_of(r)]}
