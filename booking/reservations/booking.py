"""Booking a slot: the plan, then one guarded write transaction.

The database keeps the invariants: the facility's rules are locked and their version compared
with the plan's (facilities.versions), the per-slot counter is raised only by a guarded UPSERT
(never past capacity), the enterprise and worker counters likewise (quotas), and the worker's
row is locked while their bookings are checked for overlap.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, literal_column, null, select, text, union_all
from sqlalchemy.orm import make_transient_to_detached

from .. import timeutil
from ..accounts.models import User
from ..database import GuardedCounter, fetch, lock_user, write_transaction, written_in
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities import rules, snapshot
from ..facilities.models import Blackout, Facility
from ..facilities.services import BLACKOUTS_TOUCHING, blackouts_between, load_facility, slot_rules
from ..idempotency import services as idempotency
from ..notifications.services import notify, settings_read, settings_statement
from ..quotas import services as quotas
from ..quotas.models import EnterpriseWeekUsage, Suspension, WorkerWeekUsage
from . import hooks
from .models import HOLDING, Reservation, SlotLoad

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_PARTY = 50


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _party_size(value, facility: Facility) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_l("The party size must be a whole number."), code="invalid_party_size")
    limit = MAX_PARTY if facility.capacity == 1 else facility.capacity
    if not 1 <= value <= limit:
        raise Invalid(_l("The party size must be between 1 and %(max)s."), code="invalid_party_size", max=limit)
    return value


def book(
    user: User,
    facility_id: int,
    start: datetime,
    party_size=1,
    now: datetime | None = None,
    series_id: int | None = None,
) -> Reservation:
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
        if not _rules_still_hold(plan, lock_user_id=user.id):
            plan = _plan_booking(user, facility_id, start, party_size, now, fresh=True)
            if not _rules_still_hold(plan):
                raise Conflict(_l("The facility's settings just changed. Please try again."), code="changed")
        return _take(user, plan, now, series_id, user_locked=True)


def _check_slot(facility: Facility, start: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The slot that starts at `start`, if it can be booked now (else Conflict `closed` or
    `outside_window`)."""
    slot = _open_slot(facility, start)
    _check_open(facility, slot, blackouts_between(facility.id, *slot), now)
    return slot


def _open_slot(facility: Facility, start: datetime) -> tuple[datetime, datetime]:
    slot = rules.slot_at(slot_rules(facility), start)
    if slot is None or not facility.active:
        raise Conflict(_l("The facility is not open at that time."), code="closed")
    return slot


def _check_open(facility: Facility, slot: tuple[datetime, datetime], blackouts: list, now: datetime) -> None:
    if rules.blacked_out(*slot, blackouts):
        raise Conflict(_l("The facility is closed then (maintenance or an event)."), code="closed")
    sr = slot_rules(facility)
    if rules.window_problem(sr, slot[0], now):
        day = timeutil.local_date(slot[0], sr.timezone)
        if now < rules.window_opens_at(sr, day):
            raise Conflict(
                _l("Booking for that day opens at %(when)s."),
                code="outside_window",
                when=timeutil.to_local(rules.window_opens_at(sr, day), sr.timezone).strftime("%Y-%m-%d %H:%M"),
            )
        raise Conflict(_l("It is too late to book that slot."), code="outside_window")


_RULES_VERSION = select(Facility.rules_version).where(Facility.id == bindparam("facility_id"))
# FOR SHARE: bookings of one facility do not wait for each other, only for a change of its rules.
_RULES_VERSION_PG = _RULES_VERSION.with_for_update(read=True)
# The same, and the worker's row FOR UPDATE (lock_user), in one round trip. Both are row locks
# taken by the statement's LockRows step: a row changed while it waited is read again in its
# new version, so the version returned is the one locked. (The overlap check cannot join in:
# it must read with a snapshot taken after the worker's lock is granted.)
# With its returned column, so that fetch() prepares it.
_RULES_VERSION_AND_USER_PG = text(
    "SELECT f.rules_version FROM facilities f, users u WHERE f.id = :facility_id AND u.id = :user_id "
    "FOR SHARE OF f FOR UPDATE OF u"
).columns(Facility.__table__.c.rules_version)
_COLUMNS = [c for c in Reservation.__table__.columns if c.name != "id"]
_INSERT = (
    text(
        f"INSERT INTO reservations ({', '.join(c.name for c in _COLUMNS)}) "
        f"VALUES ({', '.join(':' + c.name for c in _COLUMNS)}) RETURNING id"
    )
    .bindparams(*(bindparam(c.name, type_=c.type) for c in _COLUMNS))
    .columns(Reservation.__table__.c.id)
)
_EMPTY_ROW = dict.fromkeys(c.name for c in _COLUMNS)  # every column given: the object needs no load
SLOT_PLACES = GuardedCounter(SlotLoad.__table__, ("facility_id", "start_at"), "held")
# A booking that overlaps [start, end) starts after start - 1 day (slots are at most a day
# long): the lower bound keeps the check on the (user_id, start_at) index, flat with history.
_CLASH = (
    select(Reservation.id)
    .where(
        Reservation.user_id == bindparam("user_id"),
        Reservation.status.in_(written_in(HOLDING)),
        Reservation.start_at > bindparam("earliest"),
        Reservation.start_at < bindparam("end"),
        Reservation.end_at > bindparam("start"),
    )
    .limit(1)
)
# A booking reads it with what its confirmation needs of the worker's notification settings.
_CLASH_AND_SETTINGS = settings_statement(exists(_CLASH).label("clash"))


@dataclass(frozen=True)
class _Plan:
    facility: Facility
    agreement: object
    start: datetime
    end: datetime
    week: date
    party: int
    places: int


def _plan_booking(user, facility_id, start, party_size, now, fresh: bool = False, draw_ok: bool = False) -> _Plan:
    """Everything a booking needs to know: read before the write transaction, or again inside it
    (`fresh`: from the database, not the per-process cache) when the rules changed meanwhile.
    `draw_ok`: the draw's own checks (an application, a winner), which a pending draw allows."""
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
    slot_start, slot_end = _open_slot(facility, start)
    week = timeutil.week_start(day)
    standing = _standing(user, facility, slot_start, slot_end, week, now)
    _check_open(facility, (slot_start, slot_end), standing["b"], now)
    if facility.allocation == "draw" and not draw_ok:
        hooks.check_first_come(facility, slot_start, now)  # the draw's: booking.draw.services
    if standing["s"]:
        until = max(ends for _starts, ends in standing["s"])
        raise Conflict(
            _l("After several no-shows you cannot book here until %(until)s."),
            code="suspended",
            until=timeutil.to_local(until, tz).strftime("%Y-%m-%d %H:%M"),
        )
    plan = _Plan(facility, agreement, slot_start, slot_end, week, party, rules.places_needed(facility.capacity, party))
    _precheck(plan, standing)
    return plan


# What a plan reads of the day, in one round trip: the blackouts touching the slot, the worker's
# suspensions at the host in force now, and the counters as they stand, so that a booking that
# clearly cannot fit is refused without taking the write lock (the guarded statements in _take()
# still decide the rest). Rows (kind, a, b, n); the first part gives a and b their type.
_STANDING = union_all(
    select(
        literal_column("'b'").label("kind"),
        Blackout.starts_at.label("a"),
        Blackout.ends_at.label("b"),
        literal_column("0").label("n"),
    ).where(*BLACKOUTS_TOUCHING),
    select(literal_column("'s'"), Suspension.starts_at, Suspension.ends_at, literal_column("0")).where(
        Suspension.user_id == bindparam("user_id"),
        Suspension.host_id == bindparam("host_id"),
        Suspension.starts_at <= bindparam("now"),
        Suspension.ends_at > bindparam("now"),
    ),
    select(literal_column("'quota'"), null(), null(), EnterpriseWeekUsage.minutes_used).where(
        EnterpriseWeekUsage.host_id == bindparam("host_id"),
        EnterpriseWeekUsage.enterprise_id == bindparam("enterprise_id"),
        EnterpriseWeekUsage.week_start == bindparam("week"),
    ),
    select(literal_column("'worker'"), null(), null(), WorkerWeekUsage.bookings).where(
        WorkerWeekUsage.host_id == bindparam("host_id"),
        WorkerWeekUsage.user_id == bindparam("user_id"),
        WorkerWeekUsage.week_start == bindparam("week"),
    ),
    select(literal_column("'slot'"), null(), null(), SlotLoad.held).where(
        SlotLoad.facility_id == bindparam("facility_id"), SlotLoad.start_at == bindparam("start")
    ),
)


def _standing(user, facility, start: datetime, end: datetime, week: date, now: datetime) -> dict:
    """_STANDING read: {"b": blackouts, "s": suspensions in force (start, end), counter name: value}."""
    out: dict = {"b": [], "s": []}
    rows = fetch(
        _STANDING,
        facility_id=facility.id,
        start=start,
        end=end,
        user_id=user.id,
        host_id=facility.venue.host_id,
        enterprise_id=user.enterprise_id,
        week=week,
        now=now,
    )
    for kind, a, b, n in rows:
        if kind in ("b", "s"):
            out[kind].append((a, b))
        else:
            out[kind] = n
    return out


def _precheck(plan: _Plan, counters: dict) -> None:
    """Refuse, before any write, what the counters already rule out: in the order _take() checks."""
    f, a = plan.facility, plan.agreement
    if a.minutes_per_week is not None and counters.get("quota", 0) + f.slot_minutes > a.minutes_per_week:
        raise quotas.quota_exceeded(a, counters.get("quota", 0))
    if a.bookings_per_worker is not None and counters.get("worker", 0) + 1 > a.bookings_per_worker:
        raise quotas.worker_limit(a)
    held = counters.get("slot", 0)
    if held + plan.places > f.capacity:
        raise Conflict(_l("That slot is full."), code="slot_full", remaining=max(f.capacity - held, 0))


def _rules_still_hold(plan: _Plan, lock_user_id: int | None = None) -> bool:
    """Inside the write transaction: lock the facility's rules against a change (PostgreSQL: the
    row FOR SHARE until commit; SQLite: the IMMEDIATE transaction holds every writer off) and
    say whether they are still the ones the plan was made with.

    `lock_user_id`: lock that worker's row too, in the same statement (lock_user()).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return fetch(_RULES_VERSION, facility_id=plan.facility.id).scalar() == plan.facility.rules_version
    if lock_user_id is None:
        return fetch(_RULES_VERSION_PG, facility_id=plan.facility.id).scalar() == plan.facility.rules_version
    return (
        fetch(_RULES_VERSION_AND_USER_PG, facility_id=plan.facility.id, user_id=lock_user_id).scalar()
        == plan.facility.rules_version
    )


def _take(user, plan: _Plan, now, series_id: int | None = None, user_locked: bool = False) -> Reservation:
    """The guarded part, inside the write transaction, under the facility's rules lock:
    overlap, quotas, capacity, the row.

    Each guarded UPSERT locks its counter row until commit (PostgreSQL). They are taken from
    the least shared to the most: the worker's week, the slot, then (after the row and its
    notification are written) the enterprise's week, shared by all its workers, the hot row of
    a rush, held only for its own statement and the commit.
    `user_locked`: the worker's row is already locked (_rules_still_hold(lock_user_id=...)).
    """
    facility = plan.facility
    # One person's bookings are serialized, so the overlap check below holds.
    if not user_locked:
        lock_user(user.id)
    found = fetch(
        _CLASH_AND_SETTINGS, user_id=user.id, start=plan.start, end=plan.end, earliest=plan.start - timedelta(days=1)
    ).one()
    if found.clash:
        raise Conflict(_l("You already have a booking at that time."), code="overlap")
    host_id = facility.venue.host_id
    quotas.charge_worker(plan.agreement, host_id, user.id, plan.week)
    if not SLOT_PLACES.add(plan.places, facility.capacity, facility_id=facility.id, start_at=plan.start):
        c = SlotLoad.__table__.c
        held = db.session.scalar(select(c.held).where(c.facility_id == facility.id, c.start_at == plan.start))
        raise Conflict(_l("That slot is full."), code="slot_full", remaining=max(facility.capacity - (held or 0), 0))
    row = dict(
        _EMPTY_ROW,
        facility_id=facility.id,
        host_id=host_id,
        user_id=user.id,
        enterprise_id=user.enterprise_id,
        start_at=plan.start,
        end_at=plan.end,
        party_size=plan.party,
        places=plan.places,
        status="pending" if facility.requires_approval else "confirmed",
        week_start=plan.week,
        quota_minutes=facility.slot_minutes,
        code=new_code(),
        created_at=now,
        updated_at=now,
        series_id=series_id,
    )
    # One prepared INSERT, not an ORM flush (a quarter of the booking's own time): the row is
    # then put in the session as it stands, and named as the request's outcome for its
    # idempotency key in this same transaction, so a retry after a crash finds it.
    reservation = Reservation(id=fetch(_INSERT, **row).scalar(), **row)
    make_transient_to_detached(reservation)
    db.session.add(reservation)
    idempotency.wrote(reservation)
    if reservation.status == "confirmed":
        notify(user.id, "confirmed", {}, reservation_id=reservation.id, now=now, known_settings=settings_read(found))
    # Last, just before the commit: the enterprise's week, the row all its workers share.
    quotas.charge_enterprise(plan.agreement, host_id, user.enterprise_id, plan.week, facility.slot_minutes)
    return reservation
