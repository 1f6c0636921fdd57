"""Reservation use cases: book, cancel, approve, reject, host-cancel, list, recurring series.

Each runs in one write transaction begun by begin_write(), and the database keeps the
invariants: the per-slot counter is raised only by a guarded UPSERT (never past capacity),
the enterprise and worker counters likewise (quotas), and the worker's row is locked while
their bookings are checked for overlap.
"""
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, literal, select, union_all, update
from sqlalchemy.orm import selectinload

from .. import timeutil
from ..accounts.models import User
from ..audit import services as audit
from ..database import GuardedCounter, begin_write, fetch, lock_row, lock_user, write_transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities import rules, snapshot
from ..facilities.models import Facility, Venue
from ..facilities.services import blackouts_between, get_visible, load_facility, managed_host_ids, slot_rules
from ..quotas import services as quotas
from ..quotas.models import EnterpriseWeekUsage, WorkerWeekUsage
from .models import HOLDING, Notification, Reservation, SlotLoad

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_PARTY = 50


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _party_size(value, facility: Facility) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_l("The party size must be a whole number."), code="invalid_party_size")
    limit = MAX_PARTY if facility.capacity == 1 else facility.capacity
    if not 1 <= value <= limit:
        raise Invalid(_l("The party size must be between 1 and %(max)s."), code="invalid_party_size",
                      max=limit)
    return value


# --- booking ------------------------------------------------------------------------------

def book(user: User, facility_id: int, start: datetime, party_size=1, now: datetime | None = None) -> Reservation:
    """Book one slot.

    The plan (facility, opening hours, blackouts, agreement, window, counters) is read first,
    outside any write lock, and refuses what clearly cannot be booked. The write transaction
    then locks the facility's rules (facilities.versions) and compares their version with the
    plan's: every change that can move or remove slots (hours, slot length, capacity, active,
    blackouts, agreements) raises it, so a plan made before such a change is made again inside
    the transaction, where no change can slip in. Overlap, quotas and capacity are decided
    there by the worker's row lock and the guarded counters.
    """
    now = now or timeutil.utcnow()
    if not user.is_worker:
        raise Forbidden(_l("Only workers of an enterprise can book."), code="not_a_worker")
    plan = _plan_booking(user, facility_id, start, party_size, now)
    with write_transaction():
        if not _rules_still_hold(plan):
            plan = _plan_booking(user, facility_id, start, party_size, now, fresh=True)
            if not _rules_still_hold(plan):
                raise Conflict(_l("The facility's settings just changed. Please try again."), code="changed")
        return _take(user, plan, now)


def _check_slot(facility: Facility, start: datetime, now: datetime) -> tuple[datetime, datetime]:
    sr = slot_rules(facility)
    slot = rules.slot_at(sr, start)
    if slot is None or not facility.active:
        raise Conflict(_l("The facility is not open at that time."), code="closed")
    if rules.blacked_out(*slot, blackouts_between(facility.id, *slot)):
        raise Conflict(_l("The facility is closed then (maintenance or an event)."), code="closed")
    if rules.window_problem(sr, slot[0], now):
        day = timeutil.local_date(slot[0], sr.timezone)
        if now < rules.window_opens_at(sr, day):
            raise Conflict(_l("Booking for that day opens at %(when)s."), code="outside_window",
                           when=timeutil.to_local(rules.window_opens_at(sr, day), sr.timezone)
                           .strftime("%Y-%m-%d %H:%M"))
        raise Conflict(_l("It is too late to book that slot."), code="outside_window")
    return slot


_RULES_VERSION = select(Facility.rules_version).where(Facility.id == bindparam("facility_id"))
# FOR SHARE: bookings of one facility do not wait for each other, only for a change of its rules.
_RULES_VERSION_PG = _RULES_VERSION.with_for_update(read=True)
SLOT_PLACES = GuardedCounter(SlotLoad.__table__, ("facility_id", "start_at"), "held")
# A booking that overlaps [start, end) starts after start - 1 day (slots are at most a day
# long): the lower bound keeps the check on the (user_id, start_at) index, flat with history.
_CLASH = select(Reservation.id).where(
    Reservation.user_id == bindparam("user_id"), Reservation.status.in_(HOLDING),
    Reservation.start_at > bindparam("earliest"),
    Reservation.start_at < bindparam("end"), Reservation.end_at > bindparam("start")).limit(1)


@dataclass(frozen=True)
class _Plan:
    facility: Facility
    agreement: object
    start: datetime
    end: datetime
    week: date
    party: int
    places: int


def _plan_booking(user, facility_id, start, party_size, now, fresh: bool = False) -> _Plan:
    """Everything a booking needs to know: read before the write transaction, or again inside it
    (`fresh`: from the database, not the per-process cache) when the rules changed meanwhile."""
    facility = snapshot.load(facility_id) if fresh else load_facility(facility_id)
    if facility is None:
        raise NotFound()
    tz = facility.venue.timezone
    start = timeutil.as_utc(start, tz)
    day = timeutil.local_date(start, tz)
    terms = quotas.load_agreement_terms if fresh else quotas.agreement_terms
    agreement = terms(user.enterprise_id, facility.venue.host_id, facility.id, day)
    if agreement is None:
        raise NotFound()  # not shared with the worker's enterprise: not revealed
    party = _party_size(party_size, facility)
    slot_start, slot_end = _check_slot(facility, start, now)
    suspension = quotas.active_suspension(user.id, facility.venue.host_id, now)
    if suspension:
        raise Conflict(_l("After several no-shows you cannot book here until %(until)s."), code="suspended",
                       until=timeutil.to_local(suspension.ends_at, tz).strftime("%Y-%m-%d %H:%M"))
    plan = _Plan(facility, agreement, slot_start, slot_end, timeutil.week_start(day), party,
                 rules.places_needed(facility.capacity, party))
    _precheck(user, plan)
    return plan


# The counters as they stand, in one read: a booking that clearly cannot fit is refused here,
# without taking the write lock. (The guarded statements in _take() still decide the rest.)
_COUNTERS = union_all(
    select(literal("quota").label("kind"), EnterpriseWeekUsage.minutes_used.label("n")).where(
        EnterpriseWeekUsage.host_id == bindparam("host_id"),
        EnterpriseWeekUsage.enterprise_id == bindparam("enterprise_id"),
        EnterpriseWeekUsage.week_start == bindparam("week")),
    select(literal("worker"), WorkerWeekUsage.bookings).where(
        WorkerWeekUsage.host_id == bindparam("host_id"), WorkerWeekUsage.user_id == bindparam("user_id"),
        WorkerWeekUsage.week_start == bindparam("week")),
    select(literal("slot"), SlotLoad.held).where(
        SlotLoad.facility_id == bindparam("facility_id"), SlotLoad.start_at == bindparam("start")),
)


def _precheck(user, plan: _Plan) -> None:
    """Refuse, before any write, what the counters already rule out: in the order _take() checks."""
    f, a = plan.facility, plan.agreement
    now = dict(fetch(_COUNTERS, host_id=f.venue.host_id, enterprise_id=user.enterprise_id, user_id=user.id,
                     week=plan.week, facility_id=f.id, start=plan.start).all())
    if a.minutes_per_week is not None and now.get("quota", 0) + f.slot_minutes > a.minutes_per_week:
        raise quotas.quota_exceeded(a, now.get("quota", 0))
    if a.bookings_per_worker is not None and now.get("worker", 0) + 1 > a.bookings_per_worker:
        raise quotas.worker_limit(a)
    if now.get("slot", 0) + plan.places > f.capacity:
        raise Conflict(_l("That slot is full."), code="slot_full",
                       remaining=max(f.capacity - now.get("slot", 0), 0))


def _rules_still_hold(plan: _Plan) -> bool:
    """Inside the write transaction: lock the facility's rules against a change (PostgreSQL: the
    row FOR SHARE until commit; SQLite: the IMMEDIATE transaction holds every writer off) and
    say whether they are still the ones the plan was made with."""
    stmt = _RULES_VERSION_PG if db.session.get_bind().dialect.name == "postgresql" else _RULES_VERSION
    return fetch(stmt, facility_id=plan.facility.id).scalar() == plan.facility.rules_version


def _take(user, plan: _Plan, now) -> Reservation:
    """The guarded part, inside the write transaction, under the facility's rules lock:
    overlap, quotas, capacity, the row."""
    facility = plan.facility
    # One person's bookings are serialized, so the overlap check below holds.
    lock_user(user.id)
    if fetch(_CLASH, user_id=user.id, start=plan.start, end=plan.end,
             earliest=plan.start - timedelta(days=1)).first():
        raise Conflict(_l("You already have a booking at that time."), code="overlap")
    quotas.charge(plan.agreement, facility.venue.host_id, user.enterprise_id, user.id, plan.week,
                  facility.slot_minutes)
    if not SLOT_PLACES.add(plan.places, facility.capacity, facility_id=facility.id, start_at=plan.start):
        c = SlotLoad.__table__.c
        held = db.session.scalar(select(c.held).where(c.facility_id == facility.id, c.start_at == plan.start))
        raise Conflict(_l("That slot is full."), code="slot_full",
                       remaining=max(facility.capacity - (held or 0), 0))
    reservation = Reservation(
        facility_id=facility.id, host_id=facility.venue.host_id, user_id=user.id,
        enterprise_id=user.enterprise_id, start_at=plan.start, end_at=plan.end, party_size=plan.party,
        places=plan.places, status="pending" if facility.requires_approval else "confirmed",
        week_start=plan.week, quota_minutes=facility.slot_minutes, code=new_code(), created_at=now,
        updated_at=now)
    db.session.add(reservation)
    db.session.flush()
    return reservation


def book_series(admin: User, facility_id: int, first_start: datetime, weeks: int, party_size=1,
                now: datetime | None = None) -> list[dict]:
    """An enterprise admin books the same slot every week; each occurrence stands on its own."""
    if not admin.has_role("enterprise_admin") or admin.enterprise_id not in admin.org_ids("enterprise_admin"):
        raise Forbidden(_l("Only an enterprise admin can book a series."))
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 26:
        raise Invalid(_l("A series has 1 to 26 weeks."), code="invalid_weeks")
    facility = get_visible(admin, facility_id)
    tz = facility.venue.timezone
    local_first = timeutil.to_local(timeutil.as_utc(first_start, tz), tz)
    results = []
    for i in range(weeks):
        # Same local wall time each week, whatever the UTC offset does.
        local = local_first + timedelta(weeks=i)
        start = timeutil.local_to_utc(local.date(), local.hour * 60 + local.minute, tz)
        try:
            r = book(admin, facility_id, start, party_size, now)
            results.append({"start": start, "ok": True, "reservation": r, "code": None, "message": None})
        except (Conflict, Invalid, NotFound) as err:
            results.append({"start": start, "ok": False, "reservation": None, "code": err.code,
                            "message": err.message})
    return results


# --- after booking ------------------------------------------------------------------------

def _release(reservation: Reservation, refund_quota: bool) -> None:
    """Give back the reservation's places (and quota); its status is changed by the caller."""
    if refund_quota:
        quotas.refund(reservation.host_id, reservation.enterprise_id, reservation.user_id,
                      reservation.week_start, reservation.quota_minutes)
    c = SlotLoad.__table__.c
    db.session.execute(update(SlotLoad.__table__).where(
        c.facility_id == reservation.facility_id, c.start_at == reservation.start_at
    ).values(held=c.held - reservation.places))


def _locked_reservation(reservation_id: int) -> Reservation | None:
    return lock_row(Reservation, reservation_id)


def get_for(user: User, reservation_id: int) -> Reservation:
    """The owner's or the host staff's; to anyone else it does not exist."""
    r = db.session.get(Reservation, reservation_id)
    if r is None or (r.user_id != user.id and r.host_id not in managed_host_ids(user)):
        raise NotFound()
    return r


def cancel(user: User, reservation_id: int, now: datetime | None = None) -> Reservation:
    """The worker cancels their own booking, up to the cutoff; quota and place come back."""
    now = now or timeutil.utcnow()
    begin_write()
    try:
        r = _locked_reservation(reservation_id)
        if r is None or r.user_id != user.id:
            raise NotFound()
        if r.status not in ("pending", "confirmed"):
            raise Conflict(_l("This booking can no longer be cancelled."), code="not_cancellable")
        if not rules.can_cancel(r.start_at, now, r.facility.cancel_cutoff_minutes):
            raise Conflict(_l("Bookings can be cancelled up to %(hours)s before they start."),
                           code="too_late_to_cancel", hours=_duration(r.facility.cancel_cutoff_minutes))
        _release(r, refund_quota=True)
        r.status, r.cancelled_at, r.cancelled_by_id, r.updated_at = "cancelled", now, user.id, now
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return r


def cancel_as(user: User, reservation_id: int, reason=None, now: datetime | None = None) -> Reservation:
    """A cancellation by whoever asks: the owner cancels theirs; host staff cancel with a reason."""
    r = db.session.get(Reservation, reservation_id)
    if r is not None and r.user_id != user.id and r.host_id in managed_host_ids(user):
        return host_cancel(user, reservation_id, reason, now)
    return cancel(user, reservation_id, now)


def _duration(minutes: int) -> str:
    return f"{minutes // 60}h{minutes % 60:02d}" if minutes % 60 else f"{minutes // 60}h"


def _staff_reservation(staff: User, reservation_id: int) -> Reservation:
    r = _locked_reservation(reservation_id)
    if r is None:
        raise NotFound()
    if r.host_id not in managed_host_ids(staff):
        if r.user_id == staff.id:
            raise Forbidden(_l("Only the host's staff can do that."))
        raise NotFound()
    return r


def _clean_reason(reason) -> str:
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise Invalid(_l("The reason must be text."), code="invalid_reason")
    reason = reason.strip()
    if len(reason) > 255:
        raise Invalid(_l("The reason is too long (at most 255 characters)."), code="invalid_reason")
    return reason


def decide(staff: User, reservation_id: int, approve: bool, reason=None,
           now: datetime | None = None) -> Reservation:
    """Host staff approve or reject a pending booking; a rejection gives place and quota back."""
    now = now or timeutil.utcnow()
    reason = _clean_reason(reason)
    begin_write()
    try:
        r = _staff_reservation(staff, reservation_id)
        if r.status != "pending":
            raise Conflict(_l("Only a pending booking can be approved or rejected."), code="not_pending")
        if approve:
            r.status = "confirmed"
        else:
            _release(r, refund_quota=True)
            r.status, r.reason = "rejected", reason or None
        r.decided_at, r.decided_by_id, r.updated_at = now, staff.id, now
        db.session.add(Notification(user_id=r.user_id, reservation_id=r.id,
                                    kind="approved" if approve else "rejected", reason=r.reason,
                                    created_at=now))
        audit.record(staff, "reservation.approve" if approve else "reservation.reject", "reservation", r.id,
                     r.host_id, r.enterprise_id, {"status": "pending"}, {"status": r.status, "reason": r.reason},
                     now=now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return r


def decide_many(staff: User, reservation_ids: list[int], approve: bool, reason=None,
                now: datetime | None = None) -> dict[int, str | None]:
    """Bulk approve/reject: each on its own; returns {id: None (done) or the error code}."""
    out = {}
    for rid in reservation_ids:
        try:
            decide(staff, rid, approve, reason, now)
            out[rid] = None
        except (Conflict, NotFound, Forbidden, Invalid) as err:
            out[rid] = err.code
    return out


def host_cancel(staff: User, reservation_id: int, reason, now: datetime | None = None) -> Reservation:
    """The host cancels (e.g. maintenance): always allowed before the end, quota comes back."""
    now = now or timeutil.utcnow()
    reason = _clean_reason(reason)
    if not reason:
        raise Invalid(_l("Please give the worker a reason."), code="reason_required")
    begin_write()
    try:
        r = _staff_reservation(staff, reservation_id)
        if r.status not in HOLDING or r.status == "checked_in":
            raise Conflict(_l("This booking can no longer be cancelled."), code="not_cancellable")
        audit.record(staff, "reservation.host_cancel", "reservation", r.id, r.host_id, r.enterprise_id,
                     {"status": r.status}, {"status": "cancelled", "reason": reason}, now=now)
        _release(r, refund_quota=True)
        r.status, r.reason, r.cancelled_at, r.cancelled_by_id, r.updated_at = \
            "cancelled", reason, now, staff.id, now
        db.session.add(Notification(user_id=r.user_id, reservation_id=r.id, kind="cancelled_by_host",
                                    reason=reason, created_at=now))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return r


# --- after the check-in window -------------------------------------------------------------

def release_no_shows(now: datetime | None = None, limit: int = 1000, facility_id: int | None = None) -> dict:
    """Bookings whose check-in window has closed give their places back.

    Confirmed and not checked in → no_show (the quota stays used; the host's no-show policy may
    suspend the worker). Still pending (never approved) → cancelled, quota given back.
    Idempotent and safe to run twice at once: each row changes only by a guarded UPDATE.
    """
    now = now or timeutil.utcnow()
    begin_write()
    done = {"no_show": 0, "expired": 0}
    try:
        query = (select(Reservation.id, Reservation.status, Reservation.start_at, Facility.checkin_after_minutes)
                 .join(Facility, Facility.id == Reservation.facility_id)
                 .where(Reservation.status.in_(("confirmed", "pending")), Reservation.start_at < now))
        if facility_id is not None:
            query = query.where(Reservation.facility_id == facility_id)
        candidates = db.session.execute(query.order_by(Reservation.start_at).limit(limit)).all()
        for rid, status, start_at, after in candidates:
            if start_at + timedelta(minutes=after) >= now:
                continue
            new = "no_show" if status == "confirmed" else "cancelled"
            changed = db.session.execute(update(Reservation).where(
                Reservation.id == rid, Reservation.status == status).values(
                status=new, updated_at=now, reason=None if new == "no_show" else "not_approved_in_time",
                cancelled_at=None if new == "no_show" else now)).rowcount
            if changed != 1:
                continue  # another run got there first
            r = db.session.get(Reservation, rid)
            _release(r, refund_quota=(new == "cancelled"))
            if new == "no_show":
                quotas.apply_no_show_policy(r.user_id, r.host_id, now)
                done["no_show"] += 1
            else:
                done["expired"] += 1
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return done


# --- reading ------------------------------------------------------------------------------

# Lists show each booking's facility, venue, host, worker and enterprise: load them with the
# list (a few queries in all), never one by one.
_FOR_DISPLAY = (
    selectinload(Reservation.facility).joinedload(Facility.venue).joinedload(Venue.host),
    selectinload(Reservation.user), selectinload(Reservation.enterprise),
)


def list_for(user: User, scope: str = "mine", status: str | None = None, upcoming: bool | None = None,
             now: datetime | None = None, limit: int = 50, before_id: int | None = None,
             facility_id: int | None = None, day_start: datetime | None = None,
             day_end: datetime | None = None) -> list[Reservation]:
    """The caller's own bookings, or (scope='host') those of the hosts they staff."""
    now = now or timeutil.utcnow()
    stmt = select(Reservation).options(*_FOR_DISPLAY)
    if scope == "host":
        hosts = managed_host_ids(user)
        if not hosts:
            raise Forbidden()
        stmt = stmt.where(Reservation.host_id.in_(hosts))
    else:
        stmt = stmt.where(Reservation.user_id == user.id)
    if status:
        stmt = stmt.where(Reservation.status == status)
    if facility_id:
        stmt = stmt.where(Reservation.facility_id == facility_id)
    if day_start and day_end:
        stmt = stmt.where(Reservation.start_at >= day_start, Reservation.start_at < day_end)
    if upcoming is True:
        stmt = stmt.where(Reservation.end_at > now).order_by(Reservation.start_at, Reservation.id)
    elif upcoming is False:
        stmt = stmt.where(Reservation.end_at <= now).order_by(Reservation.start_at.desc(), Reservation.id.desc())
    else:
        stmt = stmt.order_by(Reservation.id.desc())
        if before_id:
            stmt = stmt.where(Reservation.id < before_id)
    return list(db.session.scalars(stmt.limit(limit)))


def pending_queue(staff: User, limit: int = 200) -> list[Reservation]:
    hosts = managed_host_ids(staff)
    if not hosts:
        raise Forbidden()
    return list(db.session.scalars(select(Reservation).options(*_FOR_DISPLAY).where(
        Reservation.host_id.in_(hosts), Reservation.status == "pending")
        .order_by(Reservation.created_at, Reservation.id).limit(limit)))


def day_schedule(staff: User, day: date, facility_id: int | None = None) -> list[tuple[Facility, list[Reservation]]]:
    """Today's (or any day's) bookings per facility of the staff's hosts."""
    hosts = managed_host_ids(staff)
    if not hosts:
        raise Forbidden()
    facilities = list(db.session.scalars(select(Facility).join(Venue).where(Venue.host_id.in_(hosts))
                                         .order_by(Venue.id, Facility.id)))
    if facility_id:
        facilities = [f for f in facilities if f.id == facility_id]
        if not facilities:
            raise NotFound()
    if not facilities:
        return []
    # One query for all of them: from the earliest local midnight to the latest (venues may
    # differ in time zone), then each booking is kept only on its own venue's local day.
    bounds = {f.id: timeutil.local_day_bounds(day, f.venue.timezone) for f in facilities}
    rows = db.session.scalars(select(Reservation).options(*_FOR_DISPLAY).where(
        Reservation.facility_id.in_(list(bounds)),
        Reservation.start_at >= min(b[0] for b in bounds.values()),
        Reservation.start_at < max(b[1] for b in bounds.values()),
        Reservation.status.in_(("pending", "confirmed", "checked_in", "no_show")))
        .order_by(Reservation.start_at, Reservation.id))
    by_facility: dict[int, list[Reservation]] = {f.id: [] for f in facilities}
    for r in rows:
        start, end = bounds[r.facility_id]
        if start <= r.start_at < end:
            by_facility[r.facility_id].append(r)
    return [(f, by_facility[f.id]) for f in facilities]


def notifications_for(user: User, limit: int = 30) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_notifications_read(user: User, now: datetime | None = None) -> None:
    begin_write()
    db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                  Notification.read_at.is_(None))
                       .values(read_at=now or timeutil.utcnow()))
    db.session.commit()
