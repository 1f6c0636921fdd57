"""Which agreement lets an enterprise book a facility, and the weekly counters it is held to.

(quotas.services is the package's one door; the use cases live in limits, usage, no_shows.)

charge() and refund() run inside the booking (or cancelling) transaction: the counters are
changed by guarded UPDATEs, so two processes can never both take the last hour of a quota.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, or_, select, update

from ..cache import cached
from ..database import GuardedCounter, fetch
from ..errors import Conflict
from ..extensions import db
from ..organizations.services import ancestors_query
from . import rules
from .models import EnterpriseWeekUsage, SharingAgreement, WorkerWeekUsage, agreement_facilities


def _in_force(day: date):
    return and_(
        SharingAgreement.valid_from <= day,
        or_(SharingAgreement.valid_until.is_(None), SharingAgreement.valid_until >= day),
    )


def _covers_enterprise(enterprise_id: int):
    """The enterprise itself, or a union above it (evaluated inside the same query)."""
    return or_(
        SharingAgreement.enterprise_id == enterprise_id, SharingAgreement.group_id.in_(ancestors_query(enterprise_id))
    )


ENTERPRISE_MINUTES = GuardedCounter(
    EnterpriseWeekUsage.__table__, ("host_id", "enterprise_id", "week_start"), "minutes_used"
)
WORKER_BOOKINGS = GuardedCounter(WorkerWeekUsage.__table__, ("host_id", "user_id", "week_start"), "bookings")
_sa, _af = SharingAgreement.__table__, agreement_facilities
# The agreements that may cover an enterprise at a host (made with it or with a union above it),
# each with the facilities it lists: one row per listed facility, one with NULL when it shares
# all of them. Prebuilt: the booking path's hot query. Which one is in force for a facility and
# a day is rules.terms_in_force(): read once per (enterprise, host), the choice is made in hand.
_CANDIDATES = (
    select(
        _sa.c.id,
        _sa.c.minutes_per_week,
        _sa.c.bookings_per_worker,
        _sa.c.enterprise_id,
        _sa.c.valid_from,
        _sa.c.valid_until,
        _sa.c.all_facilities,
        _af.c.facility_id,
    )
    .select_from(_sa.outerjoin(_af, _af.c.agreement_id == _sa.c.id))
    .where(
        _sa.c.host_id == bindparam("host_id"),
        or_(
            _sa.c.enterprise_id == bindparam("enterprise_id"),
            _sa.c.group_id.in_(ancestors_query(bindparam("enterprise_id"))),
        ),
    )
)


def _load_candidates(enterprise_id: int, host_id: int) -> tuple[rules.Candidate, ...]:
    found: dict[int, tuple] = {}
    for row in fetch(_CANDIDATES, enterprise_id=enterprise_id, host_id=host_id):
        _id, minutes, bookings, direct_id, valid_from, valid_until, all_facilities, facility_id = row
        if _id not in found:
            terms = rules.Terms(_id, minutes, bookings)
            found[_id] = (terms, direct_id is not None, valid_from, valid_until, None if all_facilities else set())
        listed = found[_id][4]
        if listed is not None and facility_id is not None:
            listed.add(facility_id)
    return tuple(
        rules.Candidate(terms, direct, since, until, None if listed is None else frozenset(listed))
        for terms, direct, since, until, listed in found.values()
    )


def agreement_terms(enterprise_id: int, host_id: int, facility_id: int, day: date) -> rules.Terms | None:
    """The agreement in force for (enterprise, host, facility, day) as rules.Terms, or None. The
    candidates are cached per (enterprise, host) and settings token (agreements, organizations
    and facilities change them): every facility and day of a host is then chosen in hand."""
    candidates = cached("agreement", (enterprise_id, host_id), lambda: _load_candidates(enterprise_id, host_id))
    return rules.terms_in_force(candidates, facility_id, day)


def load_agreement_terms(enterprise_id: int, host_id: int, facility_id: int, day: date) -> rules.Terms | None:
    """agreement_terms() read from the database now, past the cache."""
    return rules.terms_in_force(_load_candidates(enterprise_id, host_id), facility_id, day)


def agreement_for(enterprise_id: int, host_id: int, facility_id: int, day: date) -> SharingAgreement | None:
    """The agreement in force, as an ORM object."""
    terms = agreement_terms(enterprise_id, host_id, facility_id, day)
    return db.session.get(SharingAgreement, terms.id) if terms else None


def shared_facility_ids(enterprise_id: int, day: date) -> tuple[set[int], set[int]]:
    """(hosts shared whole, single facilities shared) with an enterprise on `day`."""
    rows = db.session.execute(
        select(SharingAgreement.id, SharingAgreement.host_id, SharingAgreement.all_facilities).where(
            _covers_enterprise(enterprise_id), _in_force(day)
        )
    ).all()
    whole_hosts = {r.host_id for r in rows if r.all_facilities}
    partial = [r.id for r in rows if not r.all_facilities]
    facilities = (
        set(
            db.session.scalars(
                select(agreement_facilities.c.facility_id).where(agreement_facilities.c.agreement_id.in_(partial))
            )
        )
        if partial
        else set()
    )
    return whole_hosts, facilities


def charge(
    agreement: SharingAgreement, host_id: int, enterprise_id: int, user_id: int, week: date, minutes: int
) -> None:
    """Take one of the worker's bookings and `minutes` of the enterprise's week, or refuse
    (charge_worker() then charge_enterprise(); a booking puts its slot counter between them)."""
    charge_worker(agreement, host_id, user_id, week)
    charge_enterprise(agreement, host_id, enterprise_id, week, minutes)


def charge_worker(agreement: SharingAgreement, host_id: int, user_id: int, week: date) -> None:
    """One of the worker's bookings this week, in one guarded UPSERT: the row is created, or
    raised only while it stays within the agreement's cap; no row changed means the cap is reached."""
    if not WORKER_BOOKINGS.add(1, agreement.bookings_per_worker, host_id=host_id, user_id=user_id, week_start=week):
        raise worker_limit(agreement)


def charge_enterprise(agreement: SharingAgreement, host_id: int, enterprise_id: int, week: date, minutes: int) -> None:
    """`minutes` of the enterprise's week, in one guarded UPSERT, or refuse.

    Every worker of the enterprise raises this one row: it is the hot row of a rush. The
    UPSERT locks it until commit (PostgreSQL), so the booking takes it last, just before
    its INSERT and the commit, and holds it for as little as it can.
    """
    if not ENTERPRISE_MINUTES.add(
        minutes, agreement.minutes_per_week, host_id=host_id, enterprise_id=enterprise_id, week_start=week
    ):
        ent = EnterpriseWeekUsage.__table__
        used = (
            db.session.scalar(
                select(ent.c.minutes_used).where(
                    ent.c.host_id == host_id, ent.c.enterprise_id == enterprise_id, ent.c.week_start == week
                )
            )
            or 0
        )
        raise quota_exceeded(agreement, used)


def quota_exceeded(agreement, used: int) -> Conflict:
    left = max(agreement.minutes_per_week - used, 0)
    return Conflict(
        _l("Your enterprise has used its weekly hours at this host (%(left)s minutes left this week)."),
        code="quota_exceeded",
        left=left,
        minutes_left=left,
    )


def worker_limit(agreement) -> Conflict:
    return Conflict(
        _l("You already have %(cap)s bookings at this host this week, the most your enterprise's agreement allows."),
        code="worker_limit",
        cap=agreement.bookings_per_worker,
        bookings_left=0,
    )


def refund(host_id: int, enterprise_id: int, user_id: int, week: date, minutes: int) -> None:
    """Give back a booking's place in the worker's and the enterprise's week (the enterprise's
    row last, in the order a booking takes them: no two transactions wait on each other)."""
    wk = WorkerWeekUsage.__table__.c
    db.session.execute(
        update(WorkerWeekUsage.__table__)
        .where(wk.host_id == host_id, wk.user_id == user_id, wk.week_start == week)
        .values(bookings=wk.bookings - 1)
    )
    ent = EnterpriseWeekUsage.__table__.c
    db.session.execute(
        update(EnterpriseWeekUsage.__table__)
        .where(ent.host_id == host_id, ent.enterprise_id == enterprise_id, ent.week_start == week)
        .values(minutes_used=ent.minutes_used - minutes)
    )
