"""The fair draw's use cases: apply, cancel, my applications, a draw as published, running it.

Applying checks everything a booking checks but capacity (the booking planner's own checks,
reservations.booking, with draw_ok) and holds nothing. At the draw time the draw runs exactly
once: a guarded status update (open → running, committed only as done) inside one write
transaction that orders the applications (draw.algorithm), books the winners through the
planner's guarded counters (quota charged as a booking), puts the others on the slot's
waitlist in draw order, and lets the planner open the places left first-come.
Lock order: draw row → worker → counters (the planner's).
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import timeutil
from ..accounts.models import User
from ..database import fetch, lock_row, lock_user, write_transaction
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..extensions import db
from ..facilities import rules, snapshot
from ..facilities.services import load_facility, managed_host_ids
from ..notifications import services as outbox
from ..organizations.models import Organization
from ..quotas.models import SharingAgreement
from ..reservations import booking as planner
from ..reservations.models import HOLDING, Reservation
from ..waitlist import serving
from ..waitlist.models import WaitlistEntry
from . import algorithm
from .models import Application, Draw

_D = Draw.__table__.c
_A = Application.__table__.c
RECENT = timedelta(days=28)


# The booking planner asks this before a first-come booking of a draw slot (registered at app
# init: draw/views.py register, reservations/hooks.py).
_DRAW = select(Draw.status, Draw.draw_at).where(
    Draw.facility_id == bindparam("facility_id"), Draw.start_at == bindparam("start")
)


def refuse_while_draw_pending(facility, slot_start: datetime, now: datetime) -> None:
    """A draw slot is not booked first-come until its draw has run: the slot's draw, once
    someone applied, says (open: pending, even past its time until it runs lazily
    or by the job); before that, the facility's draw time."""
    tz = facility.venue.timezone
    drawn = fetch(_DRAW, facility_id=facility.id, start=slot_start).first()
    if drawn is not None:
        pending, draw_at = drawn.status == "open", drawn.draw_at
    else:
        draw_at = rules.draw_at(
            tz, timeutil.local_date(slot_start, tz), facility.draw_days_before, facility.draw_minute
        )
        pending = now < draw_at
    if pending:
        raise Conflict(
            _l("Places in this slot are given by a draw at %(when)s: apply for it instead."),
            code="draw_pending",
            when=timeutil.to_local(draw_at, tz).strftime("%Y-%m-%d %H:%M"),
            draw_at=timeutil.isoformat_local(draw_at, tz),
        )


def draw_time(facility, start_at: datetime) -> datetime:
    tz = facility.venue.timezone
    return rules.draw_at(tz, timeutil.local_date(start_at, tz), facility.draw_days_before, facility.draw_minute)


def apply(user: User, facility_id: int, start: datetime, party_size=1, now: datetime | None = None) -> Application:
    """Apply for a place in a draw slot: refused as a booking would be, except for capacity."""
    now = now or timeutil.utcnow()
    if not user.is_worker:
        raise Forbidden(_l("Only workers of an enterprise can book."), code="not_a_worker")
    facility = load_facility(facility_id)
    if facility is None:
        raise NotFound()
    try:
        plan = planner._plan_booking(user, facility_id, start, party_size, now, draw_ok=True)
    except Conflict as err:
        if err.code != "slot_full":
            raise
        raise Conflict(_l("That slot is full."), code="slot_full") from None
    facility = plan.facility
    if facility.allocation != "draw":
        raise Conflict(_l("This slot is first come, first served: book it instead."), code="not_a_draw")
    draw_at = draw_time(facility, plan.start)
    if now >= draw_at:
        raise _closed(facility, draw_at)
    with write_transaction():
        draw = _draw_for(facility, plan.start, plan.end, draw_at, now)
        draw = lock_row(Draw, draw.id)  # the runner's guarded update waits for this application
        if draw is None or draw.status != "open":
            raise _closed(facility, draw_at)
        lock_user(user.id)
        if db.session.scalar(
            select(_A.id).where(_A.draw_id == draw.id, _A.user_id == user.id, _A.status != "cancelled")
        ):
            raise Conflict(_l("You have already applied for this slot."), code="already_applied")
        if fetch(
            planner._CLASH, user_id=user.id, start=plan.start, end=plan.end, earliest=plan.start - timedelta(days=1)
        ).first():
            raise Conflict(_l("You already have a booking at that time."), code="overlap")
        application = Application(
            draw_id=draw.id,
            user_id=user.id,
            enterprise_id=user.enterprise_id,
            party_size=plan.party,
            places=plan.places,
            status="applied",
            created_at=now,
            updated_at=now,
        )
        db.session.add(application)
    return application


def _closed(facility, draw_at: datetime) -> Conflict:
    tz = facility.venue.timezone
    return Conflict(
        _l("Applications for this slot closed at %(when)s."),
        code="draw_closed",
        when=timeutil.to_local(draw_at, tz).strftime("%Y-%m-%d %H:%M"),
    )


def _draw_for(facility, start_at: datetime, end_at: datetime, draw_at: datetime, now: datetime) -> Draw:
    """The slot's draw, created (with its secret seed, whose hash is published) by the first
    application. Two first applications at once: the unique index keeps one."""
    found = db.session.scalar(select(Draw).where(_D.facility_id == facility.id, _D.start_at == start_at))
    if found is not None:
        return found
    seed = secrets.token_bytes(32)
    draw = Draw(
        facility_id=facility.id,
        host_id=facility.venue.host_id,
        start_at=start_at,
        end_at=end_at,
        date=timeutil.local_date(start_at, facility.venue.timezone),
        draw_at=draw_at,
        status="open",
        seed=seed.hex(),
        seed_sha256=algorithm.seed_hash(seed),
        algorithm=algorithm.ALGORITHM,
        created_at=now,
    )
    savepoint = db.session.begin_nested()
    try:
        db.session.add(draw)
        db.session.flush()
        savepoint.commit()
        return draw
    except IntegrityError:
        savepoint.rollback()
        return db.session.scalars(select(Draw).where(_D.facility_id == facility.id, _D.start_at == start_at)).one()


def cancel(user: User, application_id: int, now: datetime | None = None) -> Application:
    """Withdraw an application while the draw is open (a won place is cancelled as a booking)."""
    now = now or timeutil.utcnow()
    with write_transaction():
        application = db.session.get(Application, application_id)
        if application is None or application.user_id != user.id:
            raise NotFound()
        draw = lock_row(Draw, application.draw_id)
        application = lock_row(Application, application_id)
        if application.status != "applied" or draw.status != "open":
            raise Conflict(_l("The draw has run: cancel the booking instead."), code="not_cancellable")
        application.status, application.updated_at = "cancelled", now
    return application


def list_for(user: User, limit: int = 50, now: datetime | None = None) -> list[Application]:
    """The worker's applications, newest first (their draws run first when due)."""
    now = now or timeutil.utcnow()
    due = db.session.scalars(
        select(_D.id)
        .join(Application.__table__, _A.draw_id == _D.id)
        .where(_A.user_id == user.id, _D.status == "open", _D.draw_at <= now)
    ).all()
    for draw_id in set(due):
        run_draw(draw_id, now)
    return list(
        db.session.scalars(select(Application).where(_A.user_id == user.id).order_by(_A.id.desc()).limit(limit))
    )


def may_read(user: User, draw: Draw) -> bool:
    if user.has_role("district_admin") or draw.host_id in managed_host_ids(user):
        return True
    return db.session.scalar(select(_A.id).where(_A.draw_id == draw.id, _A.user_id == user.id).limit(1)) is not None


def get_for(user: User, draw_id: int, now: datetime | None = None) -> Draw:
    """A draw as published, to its applicants, the host's staff and the district (others: 404).
    Read after its draw time, it runs first."""
    now = now or timeutil.utcnow()
    draw = db.session.get(Draw, draw_id)
    if draw is None or not may_read(user, draw):
        raise NotFound()
    if draw.status == "open" and draw.draw_at <= now:
        run_draw(draw.id, now)
        db.session.expire_all()
        draw = db.session.scalars(select(Draw).where(_D.id == draw_id)).one()
    return draw


def applications_of(draw: Draw) -> list[Application]:
    return list(db.session.scalars(select(Application).where(_A.draw_id == draw.id).order_by(_A.id)))


def pending_draws(facility, starts: list[datetime], now: datetime) -> dict:
    """Slots of a draw facility whose draw has not run: {start: {draw_at, applicants, draw_id}}
    (a slot's draw, once someone applied, says; before that, the facility's draw time)."""
    rows = (
        {}
        if not starts
        else {
            start: (draw_id, status, draw_at, n)
            for start, draw_id, status, draw_at, n in db.session.execute(
                select(_D.start_at, _D.id, _D.status, _D.draw_at, func.count(_A.id))
                .outerjoin(Application.__table__, (_A.draw_id == _D.id) & (_A.status == "applied"))
                .where(_D.facility_id == facility.id, _D.start_at.in_(starts))
                .group_by(_D.start_at, _D.id, _D.status, _D.draw_at)
            ).all()
        }
    )
    out = {}
    for start in starts:
        if start in rows:
            draw_id, status, draw_at, n = rows[start]
            if status == "open":
                out[start] = {"draw_at": draw_at, "applicants": n, "draw_id": draw_id}
        elif now < (draw_at := draw_time(facility, start)):
            out[start] = {"draw_at": draw_at, "applicants": 0, "draw_id": None}
    return out


# ---- running a draw ---------------------------------------------------------------------------


def run_due(now: datetime | None = None, facility_id: int | None = None) -> int:
    """Run every draw whose time has come (the job; lazily, the first read of its slot)."""
    now = now or timeutil.utcnow()
    query = select(_D.id).where(_D.status == "open", _D.draw_at <= now).order_by(_D.draw_at, _D.id)
    if facility_id is not None:
        query = query.where(_D.facility_id == facility_id)
    return sum(1 for draw_id in db.session.scalars(query).all() if run_draw(draw_id, now))


def _claim(draw_id: int, now: datetime) -> bool:
    """The guard: only the runner whose update finds the draw still open runs it."""
    result: Any = db.session.execute(
        update(Draw.__table__).where(_D.id == draw_id, _D.status == "open", _D.draw_at <= now).values(status="running")
    )
    return result.rowcount == 1


def _inputs(draw: Draw, applications: list[Application], now: datetime) -> tuple[dict, dict, dict]:
    """(no-shows per worker, recent minutes used per enterprise, share per enterprise) at the host."""
    r = Reservation.__table__.c
    since = now - RECENT
    users = [a.user_id for a in applications]
    no_shows: dict[int, int] = dict(
        db.session.execute(
            select(r.user_id, func.count(r.id))
            .where(r.host_id == draw.host_id, r.user_id.in_(users), r.status == "no_show", r.start_at >= since)
            .group_by(r.user_id)
        )
        .tuples()
        .all()
    )
    usage: dict[int, int] = dict(
        db.session.execute(
            select(r.enterprise_id, func.sum(r.quota_minutes))
            .where(r.host_id == draw.host_id, r.status.in_(HOLDING), r.start_at >= since, r.start_at < now)
            .group_by(r.enterprise_id)
        )
        .tuples()
        .all()
    )
    sharing = set(
        db.session.scalars(
            select(SharingAgreement.enterprise_id).where(
                SharingAgreement.host_id == draw.host_id, SharingAgreement.enterprise_id.is_not(None)
            )
        ).all()
    )
    enterprises = {e for e in sharing if e is not None} | {a.enterprise_id for a in applications}
    heads: dict[int, int] = dict(
        db.session.execute(select(Organization.id, Organization.headcount).where(Organization.id.in_(enterprises)))
        .tuples()
        .all()
    )
    total = sum(heads.values())
    shares = {e: (heads.get(e, 0) / total if total else 1 / len(enterprises)) for e in enterprises}
    return (
        {u: int(n) for u, n in no_shows.items()},
        {e: int(m or 0) for e, m in usage.items() if e in enterprises},
        shares,
    )


def run_draw(draw_id: int, now: datetime | None = None) -> bool:
    """Run one draw, exactly once (False when another runner had it or it is not due)."""
    now = now or timeutil.utcnow()
    with write_transaction():
        if not _claim(draw_id, now):
            return False
        draw = db.session.scalars(select(Draw).where(_D.id == draw_id).execution_options(populate_existing=True)).one()
        applications = {
            a.id: a
            for a in db.session.scalars(
                select(Application).where(_A.draw_id == draw_id, _A.status == "applied").order_by(_A.id)
            )
        }
        no_shows, usage, shares = _inputs(draw, list(applications.values()), now)
        seed = bytes.fromhex(draw.seed)
        order = algorithm.draw_order(
            seed,
            [
                algorithm.Application(a.id, a.enterprise_id, a.places, no_shows.get(a.user_id, 0))
                for a in applications.values()
            ],
            usage,
            shares,
        )
        facility = snapshot.load(draw.facility_id)
        capacity = 0
        if facility is not None:
            capacity = max(facility.capacity - serving._slot_counter(draw.facility_id, draw.start_at), 0)
        left, winners, refused = capacity, [], {}
        for application_id in order:
            a = applications[application_id]
            if facility is None or a.places > left:
                continue
            outcome = _book_winner(a, now)
            if isinstance(outcome, Reservation):
                winners.append({"application_id": a.id, "reservation_id": outcome.id})
                left -= a.places
            else:
                refused[a.id] = outcome
        won = {w["application_id"] for w in winners}
        for application_id in order:
            if application_id not in won and application_id not in refused:
                _waitlist(applications[application_id], draw, now)
        draw.result = {
            "capacity": capacity,
            "applications": [
                {
                    "id": a.id,
                    "enterprise_id": a.enterprise_id,
                    "places": a.places,
                    "no_shows": no_shows.get(a.user_id, 0),
                }
                for a in applications.values()
            ],
            "usage": {str(e): m for e, m in usage.items()},
            "shares": {str(e): s for e, s in shares.items()},
            "order": order,
            "winners": winners,
            "refused": {str(k): v for k, v in refused.items()},
        }
        draw.status, draw.ran_at = "done", now
    return True


def _book_winner(a: Application, now: datetime):
    """Book a drawn application through the planner (rules lock, overlap, quota, caps, slot
    counter), in a savepoint: the Reservation, or the refusal's code."""
    user = db.session.get(User, a.user_id)
    draw = a.draw
    savepoint = db.session.begin_nested()
    try:
        if user is None or not user.is_worker or user.enterprise_id != a.enterprise_id:
            raise Conflict(code="not_a_worker")
        plan = planner._plan_booking(user, draw.facility_id, draw.start_at, a.party_size, now, fresh=True, draw_ok=True)
        planner._rules_still_hold(plan)  # the lock; the plan was read fresh
        reservation = planner._take(user, plan, now)
        a.status, a.reservation_id, a.updated_at = "won", reservation.id, now
        outbox.notify(user.id, "draw_won", {}, reservation_id=reservation.id, now=now)
        db.session.flush()
        savepoint.commit()
        return reservation
    except DomainError as err:
        savepoint.rollback()
        a.status, a.reason, a.updated_at = "refused", err.code[:40], now
        outbox.notify(a.user_id, "draw_refused", {"reason": err.code, "draw_id": draw.id}, now=now)
        return err.code


def _waitlist(a: Application, draw: Draw, now: datetime) -> None:
    entry = WaitlistEntry(
        facility_id=draw.facility_id,
        host_id=draw.host_id,
        user_id=a.user_id,
        enterprise_id=a.enterprise_id,
        start_at=draw.start_at,
        end_at=draw.end_at,
        party_size=a.party_size,
        places=a.places,
        auto_book=True,
        status="waiting",
        created_at=now,
        updated_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    a.status, a.waitlist_id, a.updated_at = "waitlisted", entry.id, now
    outbox.notify(a.user_id, "draw_waitlisted", {}, now=now, waitlist_entry_id=entry.id)


def rerun(draw: Draw) -> list[str]:
    """Re-run a past draw from its published seed and input; the differences (none: [])."""
    if draw.status != "done" or not draw.result:
        return ["the draw has not run"]
    published = draw.result
    problems = []
    if algorithm.seed_hash(bytes.fromhex(draw.seed)) != draw.seed_sha256:
        problems.append("the seed does not match its published hash")
    apps = [
        algorithm.Application(a["id"], a["enterprise_id"], a["places"], a["no_shows"])
        for a in published["applications"]
    ]
    order = algorithm.draw_order(
        bytes.fromhex(draw.seed),
        apps,
        {int(e): m for e, m in published["usage"].items()},
        {int(e): s for e, s in published["shares"].items()},
    )
    if order != published["order"]:
        problems.append(f"order {order} != published {published['order']}")
    refused = {int(k) for k in published["refused"]}
    winners, _rest = algorithm.allocate(
        [i for i in order if i not in refused], {a.id: a.places for a in apps}, published["capacity"]
    )
    stored = [w["application_id"] for w in published["winners"]]
    if winners != stored:
        problems.append(f"winners {winners} != published {stored}")
    return problems
