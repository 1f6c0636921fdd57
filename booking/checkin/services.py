"""Check-in at the door: the token for a booking, and a scan's result (logged, idempotent).

A scan answers one of: ok, already_checked_in, too_early, too_late, not_approved, cancelled,
wrong_host, invalid (and, for an offline scan synced later, no_show_conflict). Only the first
valid scan of a confirmed booking inside its window is `ok`: the status moves confirmed ->
checked_in by a guarded UPDATE, so two staff scanning the same code at the same moment get
one `ok` and one `already_checked_in`.

An offline scan is synced later with the time the phone claims. It is recorded as offline with
both times, judged at the claimed time, and refused if the claim is older than the host allows
(OFFLINE_SYNC_MAX_MINUTES, default 2 h) or older than that scanner's last online contact (it was
online then, so the scan would have been sent). A claim on a booking already marked no_show does
not flip it back: it is recorded as no_show_conflict for the staff to review.
"""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError

from .. import timeutil
from ..database import write_transaction
from ..dbtypes import UTCDateTime
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities.rules import checkin_window
from ..organizations.models import Organization
from ..reservations.models import Reservation
from . import keys, tokens
from .models import CheckinEvent, HostCheckinSetting, ScannerContact


def window_of(r: Reservation) -> tuple[datetime, datetime]:
    return checkin_window(r.start_at, r.facility.checkin_before_minutes, r.facility.checkin_after_minutes)


def token_for(r: Reservation) -> str:
    """The signed token the booking's QR code carries (deterministic: Ed25519 signs so)."""
    kid, private = _signing_key(r.host_id)
    start, end = window_of(r)
    return tokens.sign(private, kid, r.id, start, end)


def _signing_key(host_id: int):
    found = keys.usable_signing_key(host_id)
    if found is None:  # the host's first code, or its key files are missing here: make a key
        with write_transaction():
            found = keys.signing_key(host_id)  # looked for again, now under the write lock
    return found


def rotate_key(host_id: int) -> int:
    """An operator's command: the host's codes are signed with a new key from now on; the old key
    is retired, not deleted, so codes already handed out still scan. The new key id, or NotFound."""
    with write_transaction():
        if db.session.get(Organization, host_id) is None:
            raise NotFound()
        return keys.rotate(host_id)


def _find(code: str, staff_hosts: set[int]) -> tuple[Reservation | None, str | None]:
    """The reservation a scanned code names, or the result that ends the scan early."""
    text = (code or "").strip().upper()
    if text.startswith(tokens.PREFIX):
        claims = tokens.peek(text)
        found = keys.public_key(claims.kid) if claims else None
        if found is None or tokens.verify(text, found[1]) is None:
            return None, "invalid"
        if found[0] not in staff_hosts:
            return None, "wrong_host"
        r = db.session.get(Reservation, claims.reservation_id)
        if r is None or r.host_id != found[0]:
            return None, "invalid"
        return r, None
    # The short code typed by hand: only meaningful within the staff's own hosts.
    if not 4 <= len(text) <= 12 or not text.isalnum():
        return None, "invalid"
    r = db.session.scalar(select(Reservation).where(Reservation.code == text))
    if r is None:
        return None, "invalid"
    if r.host_id not in staff_hosts:
        return None, "wrong_host"
    return r, None


def _result_for(r: Reservation, now: datetime) -> str:
    if r.status == "checked_in":
        return "already_checked_in"
    if r.status == "cancelled":
        return "cancelled"
    if r.status in ("pending", "rejected"):
        return "not_approved"
    if r.status == "no_show":
        return "too_late"
    opens, closes = window_of(r)
    if now < opens:
        return "too_early"
    if now > closes:
        return "too_late"
    return "ok"


def _offline_result(r: Reservation, at: datetime) -> str:
    """An offline claim on a booking marked no_show meanwhile: inside its window it is a conflict
    for staff to review (the booking stays no_show), outside it the usual answer."""
    if r.status == "no_show":
        opens, closes = window_of(r)
        return "too_early" if at < opens else "too_late" if at > closes else "no_show_conflict"
    return _result_for(r, at)


def offline_max_age(host_id: int | None) -> timedelta:
    """How old an offline scan of this host may be when it is synced."""
    from flask import current_app

    minutes = (
        db.session.scalar(select(HostCheckinSetting.offline_max_minutes).where(HostCheckinSetting.host_id == host_id))
        if host_id
        else None
    )
    return timedelta(minutes=minutes or current_app.config["OFFLINE_SYNC_MAX_MINUTES"])


def set_offline_max_age(admin, host_id: int, minutes) -> int:
    """A host admin sets how old an offline scan may be when synced (5 minutes to 24 hours)."""
    if host_id not in admin.org_ids("host_admin"):
        raise Forbidden()
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 1440:
        raise Invalid(_l("Choose between 5 minutes and 24 hours."), code="invalid_minutes", field="offline_max_minutes")
    with write_transaction():
        row = db.session.get(HostCheckinSetting, host_id)
        if row is None:
            db.session.add(HostCheckinSetting(host_id=host_id, offline_max_minutes=minutes))
        else:
            row.offline_max_minutes = minutes
    return minutes


def _last_contact(staff_id: int, device: str) -> datetime | None:
    return db.session.scalar(
        select(ScannerContact.last_contact_at).where(
            ScannerContact.staff_id == staff_id, ScannerContact.device == device
        )
    )


def _check_claim(staff_id: int, device: str, r: Reservation | None, at: datetime, received: datetime) -> None:
    if at < received - offline_max_age(r.host_id if r else None):
        raise Invalid(_l("That offline scan is too old to sync."), code="invalid_time")
    contact = _last_contact(staff_id, device)
    if contact is not None and at < contact:
        raise Invalid(
            _l("This phone was online after that scan, so it cannot be synced as offline."), code="invalid_time"
        )


_CONTACT = text(
    "INSERT INTO scanner_contacts (staff_id, device, last_contact_at) VALUES (:staff_id, :device, :at) "
    "ON CONFLICT (staff_id, device) DO UPDATE SET last_contact_at = excluded.last_contact_at "
    "WHERE scanner_contacts.last_contact_at < excluded.last_contact_at"
).bindparams(bindparam("at", type_=UTCDateTime()))


def record_contact(staff, device, now: datetime | None = None) -> None:
    """The scanner (this staff member on this phone) is online now: it fetched its list after
    sending its queue. Offline scans it syncs later must be newer."""
    device = device[:120] if isinstance(device, str) else ""
    with write_transaction():
        db.session.execute(_CONTACT, {"staff_id": staff.id, "device": device, "at": now or timeutil.utcnow()})


def scan(
    staff,
    code,
    nonce: str | None = None,
    device: str = "",
    now: datetime | None = None,
    offline_at: datetime | None = None,
) -> tuple[str, Reservation | None]:
    """One scan at the door. Every scan is logged; a retry with the same nonce is the same scan.

    `offline_at`: the time an offline scan happened, as the phone says (synced now).
    """
    now = now or timeutil.utcnow()
    if offline_at is not None:
        offline_at = min(offline_at, now)
    hosts = staff.org_ids("host_staff")
    if not hosts:
        raise Forbidden(_l("Only host staff can check people in."))
    if not isinstance(code, str) or len(code) > 300:
        raise Invalid(_l("The code is missing or too long."), code="invalid_code")
    if nonce is not None and (not isinstance(nonce, str) or not 1 <= len(nonce) <= 64):
        raise Invalid(_l("The nonce must be 1 to 64 characters."), code="invalid_nonce")
    device = (device or "")[:120] if isinstance(device, str) else ""
    try:
        with write_transaction():
            if nonce:
                earlier = _replayed(staff.id, nonce)
                if earlier:
                    return earlier  # a retry: nothing written
            r, result = _find(code, hosts)
            at = offline_at or now
            if offline_at is not None:
                _check_claim(staff.id, device, r, offline_at, now)
            if result is None:
                result = _offline_result(r, at) if offline_at is not None else _result_for(r, at)
                if result == "ok":
                    changed = db.session.execute(
                        update(Reservation)
                        .where(Reservation.id == r.id, Reservation.status == "confirmed")
                        .values(status="checked_in", checked_in_at=at, updated_at=now)
                    ).rowcount
                    if changed != 1:
                        result = "already_checked_in"  # another scan won the same instant
                    db.session.refresh(r)
            db.session.add(
                CheckinEvent(
                    reservation_id=r.id if r else None,
                    staff_id=staff.id,
                    scanned_at=at,
                    result=result,
                    device=device,
                    nonce=nonce or None,
                    scanned_offline_at=offline_at,
                    received_at=now if offline_at else None,
                )
            )
    except IntegrityError:  # the same nonce, sent twice at once: the first one's answer stands
        earlier = _replayed(staff.id, nonce) if nonce else None
        if earlier is None:
            raise
        return earlier
    return result, r


def _replayed(staff_id: int, nonce: str):
    event = db.session.scalar(
        select(CheckinEvent).where(CheckinEvent.staff_id == staff_id, CheckinEvent.nonce == nonce)
    )
    if event is None:
        return None
    return event.result, db.session.get(Reservation, event.reservation_id) if event.reservation_id else None


def checked_in_today(staff, now: datetime | None = None, tz: str = timeutil.DEFAULT_TIMEZONE) -> int:
    now = now or timeutil.utcnow()
    start, end = timeutil.local_day_bounds(timeutil.local_date(now, tz), tz)
    return (
        db.session.scalar(
            select(func.count(Reservation.id)).where(
                Reservation.host_id.in_(staff.org_ids("host_staff")),
                Reservation.status == "checked_in",
                Reservation.start_at >= start,
                Reservation.start_at < end,
            )
        )
        or 0
    )


def manifest(staff, day, tz: str = timeutil.DEFAULT_TIMEZONE) -> dict:
    """What a scanner needs to work offline for a day: public keys and the day's bookings."""
    hosts = staff.org_ids("host_staff")
    if not hosts:
        raise Forbidden()
    for host_id in hosts:
        _signing_key(host_id)  # a scanner can verify codes only with the host's key published
    start, end = timeutil.local_day_bounds(day, tz)
    rows = db.session.scalars(
        select(Reservation)
        .where(
            Reservation.host_id.in_(hosts),
            Reservation.start_at >= start - timedelta(hours=1),
            Reservation.start_at < end,
        )
        .order_by(Reservation.start_at)
    ).all()
    return {"keys": keys.published(hosts), "reservations": rows}
