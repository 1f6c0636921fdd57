"""The waitlist use cases: join, my entries, accept an offer, leave; the offer-expiry job;
what availability and the staff's day schedule show of the lines.

Joining checks everything a booking checks but capacity (the booking planner's own checks,
reservations.booking) and is decided under the slot counter's lock, so a place that frees while
someone joins is never missed: either the join sees it (409 not_full) or the serving sees the
entry. Lock order everywhere: slot counter → entry → worker → weekly counters.
"""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import timeutil
from ..accounts.models import User
from ..database import fetch, lock_row, lock_user, write_transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities import rules, snapshot
from ..facilities.services import load_facility, managed_host_ids
from ..reservations import booking as planner
from ..reservations.models import Reservation
from . import serving
from .models import ACTIVE, WaitlistEntry, WaitlistSettings

_E = WaitlistEntry.__table__.c
OFFER_BOUNDS = (1, 1440)


def _bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(_l("%(field)s must be true or false."), code="invalid_" + field, field=field)
    return value


def join(
    user: User, facility_id: int, start: datetime, party_size=1, auto_book=True, now: datetime | None = None
) -> WaitlistEntry:
    """Wait for a full slot. Refused as a booking would be, except for capacity; 409 not_full
    when the slot has room for the party (book it instead)."""
    now = now or timeutil.utcnow()
    auto_book = _bool(auto_book, "auto_book")
    if not user.is_worker:
        raise Forbidden(_l("Only workers of an enterprise can book."), code="not_a_worker")
    try:
        planner._plan_booking(user, facility_id, start, party_size, now)
    except Conflict as err:
        if err.code != "slot_full":
            raise
    else:
        raise _not_full()
    facility = load_facility(facility_id)
    slot_start, slot_end = planner._check_slot(facility, timeutil.as_utc(start, facility.venue.timezone), now)
    party = planner._party_size(party_size, facility)
    places = rules.places_needed(facility.capacity, party)
    with write_transaction():
        # The facility's rules, locked as a booking locks them, and read fresh: a capacity raised
        # meanwhile is seen here (not_full), or it waits for this entry and serves it.
        planner._rules_still_hold(planner._Plan(facility, None, slot_start, slot_end, None, party, places))  # type: ignore[arg-type]
        facility = snapshot.load(facility.id)
        if facility is None:
            raise NotFound()
        serving._slot_counter(facility.id, slot_start)  # the lock the serving takes too
        serving.serve_slot(facility.id, slot_start, now)  # offers run out are passed on first
        if serving._slot_counter(facility.id, slot_start) + places <= facility.capacity:
            raise _not_full()
        lock_user(user.id)
        if db.session.scalar(
            select(_E.id).where(
                _E.user_id == user.id, _E.facility_id == facility.id, _E.start_at == slot_start, _E.status.in_(ACTIVE)
            )
        ):
            raise Conflict(_l("You are already waiting for this slot."), code="already_waiting")
        if fetch(
            planner._CLASH, user_id=user.id, start=slot_start, end=slot_end, earliest=slot_start - timedelta(days=1)
        ).first():
            raise Conflict(_l("You already have a booking at that time."), code="overlap")
        entry = WaitlistEntry(
            facility_id=facility.id,
            host_id=facility.venue.host_id,
            user_id=user.id,
            enterprise_id=user.enterprise_id,
            start_at=slot_start,
            end_at=slot_end,
            party_size=party,
            places=places,
            auto_book=auto_book,
            status="waiting",
            created_at=now,
            updated_at=now,
        )
        db.session.add(entry)
    return entry


def _not_full() -> Conflict:
    return Conflict(_l("That slot still has room: book it instead."), code="not_full")


def position(entry: WaitlistEntry) -> int | None:
    """1 = next in line; None when the entry is not waiting."""
    if entry.status != "waiting":
        return None
    return db.session.scalar(
        select(func.count(_E.id)).where(
            _E.facility_id == entry.facility_id,
            _E.start_at == entry.start_at,
            _E.status == "waiting",
            _E.id <= entry.id,
        )
    )


def list_for(user: User, limit: int = 50, now: datetime | None = None) -> list[WaitlistEntry]:
    """The worker's entries, newest first (offers run out first: expired lazily here too)."""
    now = now or timeutil.utcnow()
    expire_due(now, user_id=user.id)
    return list(
        db.session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.user_id == user.id).order_by(WaitlistEntry.id.desc()).limit(limit)
        )
    )


def get_for(user: User, entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound()
    return entry


def _locked_entry(user: User, entry_id: int) -> WaitlistEntry:
    """The worker's entry, locked after its slot's counter (the serving's lock order)."""
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound()
    serving._slot_counter(entry.facility_id, entry.start_at)
    return lock_row(WaitlistEntry, entry_id)


def accept(user: User, entry_id: int, now: datetime | None = None) -> Reservation:
    """Take an offered place: the hold becomes a booking (quota and caps charged)."""
    now = now or timeutil.utcnow()
    expired = False
    with write_transaction():
        entry = _locked_entry(user, entry_id)
        if entry.status == "offered" and entry.offer_expires_at <= now:
            serving.serve_slot(entry.facility_id, entry.start_at, now)  # expires it, passes it on
            expired = True
        elif entry.status == "expired" and entry.offer_expires_at is not None:
            raise _offer_expired()
        elif entry.status != "offered":
            raise Conflict(_l("There is no offer to accept for this entry."), code="not_offered")
        else:
            serving.release_hold(entry.facility_id, entry.start_at, entry.places)
            plan = planner._plan_booking(user, entry.facility_id, entry.start_at, entry.party_size, now, fresh=True)
            if not planner._rules_still_hold(plan):
                plan = planner._plan_booking(user, entry.facility_id, entry.start_at, entry.party_size, now, fresh=True)
            reservation = planner._take(user, plan, now)
            entry.status, entry.reservation_id, entry.updated_at = "booked", reservation.id, now
    if expired:
        raise _offer_expired()
    return reservation


def _offer_expired() -> Conflict:
    return Conflict(_l("The offer has run out; the place went to the next in line."), code="offer_expired")


def cancel(user: User, entry_id: int, now: datetime | None = None) -> WaitlistEntry:
    """Leave the line (or decline an offer: its place goes to the next in line)."""
    now = now or timeutil.utcnow()
    with write_transaction():
        entry = _locked_entry(user, entry_id)
        if entry.status not in ACTIVE:
            raise Conflict(_l("This entry is no longer in line."), code="not_waiting")
        was = entry.status
        entry.status, entry.updated_at = "cancelled", now
        if was == "offered":
            serving.release_hold(entry.facility_id, entry.start_at, entry.places)
            serving.serve_slot(entry.facility_id, entry.start_at, now)
    return entry


def _due_slots(now: datetime, user_id: int | None = None, facility_id: int | None = None, limit: int = 500):
    """Slots with an offer run out or a line whose slot has started."""
    query = select(_E.facility_id, _E.start_at).where(
        ((_E.status == "offered") & (_E.offer_expires_at <= now)) | ((_E.status.in_(ACTIVE)) & (_E.start_at <= now))
    )
    if user_id is not None:
        query = query.where(_E.user_id == user_id)
    if facility_id is not None:
        query = query.where(_E.facility_id == facility_id)
    return db.session.execute(query.distinct().order_by(_E.facility_id, _E.start_at).limit(limit)).all()


def expire_due(now: datetime, user_id: int | None = None, facility_id: int | None = None) -> int:
    """Serve every slot with something due, each in its own write transaction."""
    slots = _due_slots(now, user_id, facility_id)
    for facility_id_, start_at in slots:
        with write_transaction():
            serving.serve_slot(facility_id_, start_at, now)
    return len(slots)


def expire_offers(now: datetime | None = None) -> int:
    """The job: offers that ran out pass to the next in line; lines of started slots end.
    Safe to run in several processes at once (each change is a guarded UPDATE under the slot's
    counter lock). Returns how many slots were served."""
    return expire_due(now or timeutil.utcnow())


def waiting_counts(facility_id: int, starts: list[datetime]) -> dict[datetime, int]:
    if not starts:
        return {}
    rows = db.session.execute(
        select(_E.start_at, func.count(_E.id))
        .where(_E.facility_id == facility_id, _E.start_at.in_(starts), _E.status == "waiting")
        .group_by(_E.start_at)
    ).all()
    return {start: n for start, n in rows}


def lines_for_day(staff: User, facility_ids: list[int], start: datetime, end: datetime) -> dict:
    """Host staff: the lines of their facilities' slots in [start, end), by (facility, start)."""
    hosts = managed_host_ids(staff)
    rows = db.session.scalars(
        select(WaitlistEntry)
        .where(
            _E.facility_id.in_(facility_ids),
            _E.host_id.in_(hosts),
            _E.start_at >= start,
            _E.start_at < end,
            _E.status.in_(ACTIVE),
        )
        .order_by(_E.facility_id, _E.start_at, _E.id)
    ).all()
    out: dict = {}
    for entry in rows:
        out.setdefault((entry.facility_id, entry.start_at), []).append(entry)
    return out


def set_offer_minutes(admin: User, host_id: int, minutes) -> WaitlistSettings:
    """Host admin: how long an offered place is held (1 to 1440 minutes)."""
    if not admin.has_role("host_admin") or host_id not in admin.org_ids("host_admin"):
        raise Forbidden()
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not OFFER_BOUNDS[0] <= minutes <= OFFER_BOUNDS[1]:
        raise Invalid(_l("The offer time must be 1 to 1440 minutes."), code="invalid_offer_minutes")
    with write_transaction():
        setting = db.session.get(WaitlistSettings, host_id) or WaitlistSettings(host_id=host_id)
        setting.offer_minutes = minutes
        db.session.add(setting)
    return setting
