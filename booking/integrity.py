"""One integrity check, shared by the tests and `flask check-integrity`.

Every counter must equal the sum of the bookings it counts, and no slot may hold more places
than its facility has. Returns a list of human-readable problems (empty: all is well).
"""
from sqlalchemy import func, select

from .extensions import db
from .facilities.models import Facility
from .quotas.models import EnterpriseWeekUsage, WorkerWeekUsage
from .reservations.models import HOLDING, QUOTA_CONSUMING, Reservation, SlotLoad


def check(now=None) -> list[str]:
    """`now`: capacity is checked from then on. A host may lower a facility's capacity; past
    slots that held more under the old capacity are history, not a fault."""
    from .timeutil import utcnow
    now = now or utcnow()
    problems = []
    r = Reservation
    held = {(row.facility_id, row.start_at): row.places for row in db.session.execute(
        select(r.facility_id, r.start_at, func.sum(r.places).label("places"))
        .where(r.status.in_(HOLDING)).group_by(r.facility_id, r.start_at))}
    loads = {(row.facility_id, row.start_at): row.held for row in db.session.execute(
        select(SlotLoad.facility_id, SlotLoad.start_at, SlotLoad.held))}
    capacity = dict(db.session.execute(select(Facility.id, Facility.capacity)).all())
    for key in set(held) | set(loads):
        counted, counter = held.get(key, 0), loads.get(key, 0)
        if counted != counter:
            problems.append(f"slot {key}: counter says {counter} held, bookings hold {counted}")
        if counted > capacity[key[0]] and key[1] >= now:
            problems.append(f"slot {key}: {counted} places held, capacity {capacity[key[0]]}")

    problems += _counter_problems("enterprise week", EnterpriseWeekUsage.__table__, ("host_id", "enterprise_id"),
                                  "minutes_used", func.sum(r.quota_minutes))
    problems += _counter_problems("worker week", WorkerWeekUsage.__table__, ("host_id", "user_id"),
                                  "bookings", func.count(r.id))
    return problems


def _counter_problems(label: str, table, key: tuple[str, str], column: str, counted_expr) -> list[str]:
    """A weekly counter table against what the quota-consuming bookings add up to, per key and week."""
    r = Reservation
    cols = [getattr(r, k) for k in key] + [r.week_start]
    counted = {tuple(row[:-1]): row[-1] for row in db.session.execute(
        select(*cols, counted_expr).where(r.status.in_(QUOTA_CONSUMING)).group_by(*cols))}
    counters = {tuple(row[:-1]): row[-1] for row in db.session.execute(
        select(*[table.c[k] for k in key], table.c.week_start, table.c[column]))}
    return [f"{label} {k}: counter {counters.get(k, 0)}, bookings {counted.get(k, 0)}"
            for k in set(counted) | set(counters) if counted.get(k, 0) != counters.get(k, 0)]
