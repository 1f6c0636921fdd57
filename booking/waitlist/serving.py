"""Serving a slot's line: runs INSIDE the write transaction that frees a place (a cancel, a
rejection, a host cancel, a no-show release, a capacity raise, a blackout lifted, an offer
declined or run out), so a freed place is never seen free by anyone before the line is served.

The slot's counter row (slot_loads) is locked first (PostgreSQL: the UPDATE or upsert takes
its row lock until commit; SQLite: the IMMEDIATE transaction already serializes writers), so
two transactions serve one slot one after the other, each seeing what the other did.

Each entry is served in a SAVEPOINT, claimed by a guarded UPDATE (status still 'waiting'):
  auto_book → a booking through the booking planner and its guarded counters (reservations.
              booking: rules lock, overlap, quota and caps charged, slot counter), 'booked';
  otherwise → 'offered': its places added to the slot counter (the hold) until offer_expires_at.
A refusal that is the worker's (suspended, quota, cap, overlap, no longer shared) skips the
entry with that code; one that is the slot's (closed, outside the window) stops serving and
leaves the line as it is.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..accounts.models import User
from ..database import fetch
from ..errors import Conflict, DomainError, NotFound
from ..extensions import db
from ..facilities import snapshot
from ..notifications import services as outbox
from ..reservations import booking as planner
from ..reservations.models import SlotLoad
from .models import ACTIVE, DEFAULT_OFFER_MINUTES, WaitlistEntry, WaitlistSettings
from .rules import SLOT_REFUSALS, offer_ran_out
from .rules import offer_deadline as _deadline

_E = WaitlistEntry.__table__.c


def _slot_counter(facility_id: int, start_at: datetime) -> int:
    """Lock the slot's counter row (created at 0 if missing) and return the places it holds."""
    planner.SLOT_PLACES.add(0, None, facility_id=facility_id, start_at=start_at)
    c = SlotLoad.__table__.c
    return db.session.scalar(select(c.held).where(c.facility_id == facility_id, c.start_at == start_at)) or 0


def release_hold(facility_id: int, start_at: datetime, places: int) -> None:
    c = SlotLoad.__table__.c
    db.session.execute(
        update(SlotLoad.__table__)
        .where(c.facility_id == facility_id, c.start_at == start_at)
        .values(held=c.held - places)
    )


def _move(entry_id: int, from_status: str, now: datetime, **values) -> bool:
    """The guard: an entry changes only while its status is still the one read."""
    return (
        db.session.execute(
            update(WaitlistEntry.__table__)
            .where(_E.id == entry_id, _E.status == from_status)
            .values(updated_at=now, **values)
        ).rowcount
        == 1
    )


def notify(entry_id: int, user_id: int, kind: str, now: datetime, reservation_id=None, reason=None) -> None:
    """In the app and through the outbox (its channels), in this transaction."""
    outbox.notify(
        user_id,
        kind,
        {"reason": reason} if reason else {},
        reservation_id=reservation_id,
        now=now,
        waitlist_entry_id=entry_id,
    )


def offer_minutes(host_id: int) -> int:
    setting = db.session.get(WaitlistSettings, host_id)
    return setting.offer_minutes if setting else DEFAULT_OFFER_MINUTES


def end_due(facility_id: int, start_at: datetime, now: datetime) -> int:
    """Offers that ran out give their hold back ('expired'); when the slot has started, the
    whole line ends ('expired'). Returns how many places came back."""
    freed = 0
    rows = db.session.execute(
        select(_E.id, _E.user_id, _E.status, _E.places, _E.offer_expires_at)
        .where(_E.facility_id == facility_id, _E.start_at == start_at, _E.status.in_(ACTIVE))
        .order_by(_E.id)
    ).all()
    started = start_at <= now
    for entry_id, user_id, status, places, expires in rows:
        if status == "offered" and offer_ran_out(expires, start_at, now):
            if _move(entry_id, "offered", now, status="expired"):
                release_hold(facility_id, start_at, places)
                freed += places
                notify(entry_id, user_id, "waitlist_expired", now)
        elif status == "waiting" and started:
            _move(entry_id, "waiting", now, status="expired")
    return freed


def serve_slot(facility_id: int, start_at: datetime, now: datetime) -> dict:
    """Serve the slot's line with whatever places are free now. Call inside a write transaction,
    after the freeing change. Returns {"booked": n, "offered": n, "skipped": n}."""
    db.session.flush()  # the freeing change must be visible to the checks below (they read by Core)
    done = {"booked": 0, "offered": 0, "skipped": 0}
    waiting = db.session.scalar(
        select(_E.id).where(_E.facility_id == facility_id, _E.start_at == start_at, _E.status.in_(ACTIVE)).limit(1)
    )
    if waiting is None:
        return done
    held = _slot_counter(facility_id, start_at)  # the lock: one server of this slot at a time
    end_due(facility_id, start_at, now)
    if start_at <= now:
        return done
    facility = snapshot.load(facility_id)
    if facility is None:
        return done
    held = _slot_counter(facility_id, start_at)
    line = db.session.execute(
        select(WaitlistEntry.id, WaitlistEntry.user_id, WaitlistEntry.places)
        .where(_E.facility_id == facility_id, _E.start_at == start_at, _E.status == "waiting")
        .order_by(_E.id)
    ).all()
    for entry_id, _user_id, places in line:
        free = facility.capacity - held
        if free <= 0:
            break
        if places > free:
            continue  # a smaller party further back may fit
        outcome = _serve_one(db.session.get(WaitlistEntry, entry_id), now)
        if outcome == "stop":
            break
        done[outcome] = done.get(outcome, 0) + 1
        held = _slot_counter(facility_id, start_at)
    return done


def _serve_one(entry: WaitlistEntry, now: datetime) -> str:
    """One entry, in a savepoint: 'booked', 'offered', 'skipped', 'gone' (it left the line
    meanwhile) or 'stop' (the slot cannot be booked now)."""
    user = db.session.get(User, entry.user_id)
    savepoint = db.session.begin_nested()
    try:
        if user is None or not user.is_worker or user.enterprise_id != entry.enterprise_id:
            raise Conflict(code="not_a_worker")
        plan = planner._plan_booking(user, entry.facility_id, entry.start_at, entry.party_size, now, fresh=True)
        if not planner._rules_still_hold(plan):
            plan = planner._plan_booking(user, entry.facility_id, entry.start_at, entry.party_size, now, fresh=True)
        if entry.auto_book:
            reservation = planner._take(user, plan, now)
            if not _move(entry.id, "waiting", now, status="booked", reservation_id=reservation.id):
                savepoint.rollback()
                return "gone"
            notify(entry.id, user.id, "waitlist_booked", now, reservation_id=reservation.id)
            savepoint.commit()
            return "booked"
        if fetch(
            planner._CLASH, user_id=user.id, start=plan.start, end=plan.end, earliest=plan.start - timedelta(days=1)
        ).first():
            raise Conflict(code="overlap")
        expires = offer_deadline(plan.facility, plan.start, now)
        if expires <= now:
            raise Conflict(code="outside_window")
        if not planner.SLOT_PLACES.add(
            entry.places, plan.facility.capacity, facility_id=entry.facility_id, start_at=entry.start_at
        ):
            raise Conflict(code="slot_full")
        if not _move(entry.id, "waiting", now, status="offered", offer_expires_at=expires):
            savepoint.rollback()
            return "gone"
        notify(entry.id, user.id, "waitlist_offered", now)
        savepoint.commit()
        return "offered"
    except NotFound:
        savepoint.rollback()
        return _skip(entry, "not_shared", now)
    except DomainError as err:
        savepoint.rollback()
        if err.code in SLOT_REFUSALS:
            return "stop"
        return _skip(entry, err.code, now)


def _skip(entry: WaitlistEntry, code: str, now: datetime) -> str:
    if _move(entry.id, "waiting", now, status="skipped", reason=code[:40]):
        notify(entry.id, entry.user_id, "waitlist_skipped", now, reason=code)
        return "skipped"
    return "gone"


def offer_deadline(facility, start_at: datetime, now: datetime) -> datetime:
    """Now plus the host's offer time, never past the booking cutoff of the slot."""
    return _deadline(start_at, now, offer_minutes(facility.venue.host_id), facility.min_notice_minutes)


def serve_facility(facility_id: int, now: datetime) -> None:
    """Every upcoming slot of the facility that has a line (after a capacity raise, a blackout
    lifted, the facility reopened)."""
    starts = db.session.scalars(
        select(_E.start_at).where(_E.facility_id == facility_id, _E.status.in_(ACTIVE), _E.start_at > now).distinct()
    ).all()
    for start_at in sorted(starts):
        serve_slot(facility_id, start_at, now)
