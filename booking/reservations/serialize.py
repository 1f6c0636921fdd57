"""How a booking looks in JSON (the API, the web scanner): times with the venue's offset."""

from ..timeutil import isoformat_local


def ref(obj) -> dict | None:
    return {"id": obj.id, "name": obj.name} if obj is not None else None


def reservation_json(r, facility=None, user=None) -> dict:
    """`facility` and `user` may be given when the caller has them (a snapshot, the Principal):
    then nothing is loaded."""
    facility = facility or r.facility
    user = user if user is not None and user.id == r.user_id else r.user
    enterprise = user.enterprise if getattr(user, "enterprise_id", None) == r.enterprise_id else r.enterprise
    tz = facility.venue.timezone
    return {
        "id": r.id,
        "status": r.status,
        "facility_id": r.facility_id,
        "facility": {"id": facility.id, "name": facility.name, "kind": facility.kind},
        "venue": {"id": facility.venue.id, "name": facility.venue.name, "timezone": tz},
        "host": ref(facility.venue.host),
        "start": isoformat_local(r.start_at, tz),
        "end": isoformat_local(r.end_at, tz),
        "party_size": r.party_size,
        "places": r.places,
        "code": r.code,
        "user": {"id": user.id, "username": user.username, "display_name": user.display_name},
        "enterprise": ref(enterprise),
        "reason": r.reason,
        "created_at": isoformat_local(r.created_at, tz),
        "checked_in_at": isoformat_local(r.checked_in_at, tz) if r.checked_in_at else None,
        "series_id": r.series_id,
    }


def series_json(series) -> dict:
    """A weekly team series with its bookings (each marked `skipped` when a pause covers it)."""
    from .series import skipped

    facility = series.facility
    tz = facility.venue.timezone
    return {
        "id": series.id,
        "status": series.status,
        "weeks": series.weeks,
        "party_size": series.party_size,
        "facility": {"id": facility.id, "name": facility.name, "kind": facility.kind},
        "venue": {"id": facility.venue.id, "name": facility.venue.name, "timezone": tz},
        "first_start": isoformat_local(series.first_start_at, tz),
        "created_at": isoformat_local(series.created_at, tz),
        "cancelled_at": isoformat_local(series.cancelled_at, tz) if series.cancelled_at else None,
        "pauses": [{"from": p.first_day.isoformat(), "until": p.last_day.isoformat()} for p in series.pauses],
        "occurrences": [
            {
                "id": r.id,
                "code": r.code,
                "status": r.status,
                "start": isoformat_local(r.start_at, tz),
                "end": isoformat_local(r.end_at, tz),
                "skipped": skipped(series, r),
            }
            for r in series.occurrences
        ],
    }


def series_change_json(change) -> dict:
    """What a pause or cancel did: the bookings cancelled, and those kept past their cutoff."""
    tz = change.series.facility.venue.timezone
    return {
        "series": series_json(change.series),
        "cancelled": [{"id": r.id, "start": isoformat_local(r.start_at, tz)} for r in change.cancelled],
        "kept": [
            {"id": r.id, "start": isoformat_local(r.start_at, tz), "error": {"code": code, "message": message}}
            for r, code, message in change.kept
        ],
    }
