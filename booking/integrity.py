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

    minutes = {(row.host_id, row.enterprise_id, row.week_start): row.m for row in db.session.execute(
        select(r.host_id, r.enterprise_id, r.week_start, func.sum(r.quota_minutes).label("m"))
        .where(r.status.in_(QUOTA_CONSUMING)).group_by(r.host_id, r.enterprise_id, r.week_start))}
    counters = {(row.host_id, row.enterprise_id, row.week_start): row.minutes_used
                for row in db.session.scalars(select(EnterpriseWeekUsage))}
    for key in set(minutes) | set(counters):
        if minutes.get(key, 0) != counters.get(key, 0):
            problems.append(f"enterprise week {key}: counter {counters.get(key, 0)} min, "
                            f"bookings {minutes.get(key, 0)} min")

    bookings = {(row.host_id, row.user_id, row.week_start): row.n for row in db.session.execute(
        select(r.host_id, r.user_id, r.week_start, func.count(r.id).label("n"))
        .where(r.status.in_(QUOTA_CONSUMING)).group_by(r.host_id, r.user_id, r.week_start))}
    worker_counters = {(row.host_id, row.user_id, row.week_start): row.bookings
                       for row in db.session.scalars(select(WorkerWeekUsage))}
    for key in set(bookings) | set(worker_counters):
        if bookings.get(key, 0) != worker_counters.get(key, 0):
            problems.append(f"worker week {key}: counter {worker_counters.get(key, 0)}, "
                            f"bookings {bookings.get(key, 0)}")
    return problems
