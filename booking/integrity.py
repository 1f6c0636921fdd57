"""One integrity check, shared by the tests and `flask check-integrity`.

Every counter must equal the sum of the bookings it counts, no slot may hold more places than
its facility has, and no bookings that overlap in time (whatever their slot grid: the hours or
the slot length may have changed between them) may together hold more places than that.
Returns a list of human-readable problems (empty: all is well).

It reads everything in one snapshot (PostgreSQL: a REPEATABLE READ, read-only transaction;
SQLite: one read transaction), so bookings committed while it runs never make a counter and
the bookings it counts disagree: safe to run from cron on a live system.
"""

from collections import defaultdict
from contextlib import contextmanager

from sqlalchemy import func, select

from .extensions import db
from .facilities.models import Facility
from .quotas.models import EnterpriseWeekUsage, WorkerWeekUsage
from .reservations.models import HOLDING, QUOTA_CONSUMING, Reservation, SlotLoad
from .waitlist.models import WaitlistEntry

_SNAPSHOT = {
    "postgresql": {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True},
    "sqlite": {"sqlite_begin": "DEFERRED"},
}


@contextmanager
def snapshot():
    """One read-only transaction that sees the database as it was at its first read."""
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("integrity.check() with unsaved changes in the session")
        session.commit()
    session.connection(execution_options=_SNAPSHOT[session.get_bind().dialect.name])
    try:
        yield
    finally:
        session.rollback()


def check(now=None) -> list[str]:
    """`now`: capacity is checked from then on. A host may lower a facility's capacity; past
    slots that held more under the old capacity are history, not a fault."""
    from .timeutil import utcnow

    now = now or utcnow()
    with snapshot():
        capacity = dict(db.session.execute(select(Facility.id, Facility.capacity)).all())
        problems = _slot_problems(capacity, now) + _overlap_problems(capacity, now)
        problems += _counter_problems(
            "enterprise week",
            EnterpriseWeekUsage.__table__,
            ("host_id", "enterprise_id"),
            "minutes_used",
            func.sum(Reservation.quota_minutes),
        )
        problems += _counter_problems(
            "worker week", WorkerWeekUsage.__table__, ("host_id", "user_id"), "bookings", func.count(Reservation.id)
        )
        problems += _waitlist_problems()
    return problems


def _slot_problems(capacity: dict, now) -> list[str]:
    r = Reservation
    held = {
        (row.facility_id, row.start_at): row.places
        for row in db.session.execute(
            select(r.facility_id, r.start_at, func.sum(r.places).label("places"))
            .where(r.status.in_(HOLDING))
            .group_by(r.facility_id, r.start_at)
        )
    }
    # A place offered to the next in a waitlist is held in the counter until taken or run out.
    for row in db.session.execute(
        select(WaitlistEntry.facility_id, WaitlistEntry.start_at, func.sum(WaitlistEntry.places).label("places"))
        .where(WaitlistEntry.status == "offered")
        .group_by(WaitlistEntry.facility_id, WaitlistEntry.start_at)
    ):
        held[(row.facility_id, row.start_at)] = held.get((row.facility_id, row.start_at), 0) + row.places
    loads = {
        (row.facility_id, row.start_at): row.held
        for row in db.session.execute(select(SlotLoad.facility_id, SlotLoad.start_at, SlotLoad.held))
    }
    problems = []
    for key in set(held) | set(loads):
        counted, counter = held.get(key, 0), loads.get(key, 0)
        if counted != counter:
            problems.append(f"slot {key}: counter says {counter} held, bookings hold {counted}")
        if counted > capacity[key[0]] and key[1] >= now:
            problems.append(f"slot {key}: {counted} places held, capacity {capacity[key[0]]}")
    return problems


def _overlap_problems(capacity: dict, now) -> list[str]:
    """Bookings not yet over, per facility: at no instant may those under way hold more places
    than the facility has (a sweep over their starts and ends)."""
    r = Reservation
    changes: dict = defaultdict(list)
    for row in db.session.execute(
        select(r.facility_id, r.start_at, r.end_at, r.places).where(r.status.in_(HOLDING), r.end_at > now)
    ):
        changes[row.facility_id] += [(row.start_at, row.places), (row.end_at, -row.places)]
    problems = []
    for facility_id, points in changes.items():
        held = 0
        for at, delta in sorted(points, key=lambda p: (p[0], p[1])):  # an end before a start at one instant
            was, held = held, held + delta
            if held > capacity[facility_id] >= was:
                problems.append(
                    f"facility {facility_id}: overlapping bookings hold {held} places at {at}, "
                    f"capacity {capacity[facility_id]}"
                )
    return problems


def _counter_problems(label: str, table, key: tuple[str, str], column: str, counted_expr) -> list[str]:
    """A weekly counter table against what the quota-consuming bookings add up to, per key and week."""
    r = Reservation
    cols = [getattr(r, k) for k in key] + [r.week_start]
    counted = {
        tuple(row[:-1]): row[-1]
        for row in db.session.execute(select(*cols, counted_expr).where(r.status.in_(QUOTA_CONSUMING)).group_by(*cols))
    }
    counters = {
        tuple(row[:-1]): row[-1]
        for row in db.session.execute(select(*[table.c[k] for k in key], table.c.week_start, table.c[column]))
    }
    return [
        f"{label} {k}: counter {counters.get(k, 0)}, bookings {counted.get(k, 0)}"
        for k in set(counted) | set(counters)
        if counted.get(k, 0) != counters.get(k, 0)
    ]


def _waitlist_problems() -> list[str]:
    """A booked entry names a booking of its worker in its slot; an offered one has its deadline."""
    e, r = WaitlistEntry, Reservation
    problems = [
        f"waitlist entry {row.id}: booked, but its booking is missing or another's"
        for row in db.session.execute(
            select(e.id)
            .outerjoin(r, r.id == e.reservation_id)
            .where(
                e.status == "booked",
                (r.id.is_(None))
                | (r.user_id != e.user_id)
                | (r.facility_id != e.facility_id)
                | (r.start_at != e.start_at),
            )
        )
    ]
    problems += [
        f"waitlist entry {row.id}: offered without a deadline"
        for row in db.session.execute(select(e.id).where(e.status == "offered", e.offer_expires_at.is_(None)))
    ]
    return problems
