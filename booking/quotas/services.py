"""Which agreement lets an enterprise book a facility, and the weekly counters it is held to.

charge() and refund() run inside the booking (or cancelling) transaction: the counters are
changed by guarded UPDATEs, so two processes can never both take the last hour of a quota.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select, update

from ..cache import cached
from ..database import GuardedCounter, fetch
from ..errors import Conflict
from ..extensions import db
from ..organizations.services import ancestors_query
from .models import EnterpriseWeekUsage, SharingAgreement, Suspension, WorkerWeekUsage, agreement_facilities


def _in_force(day: date):
    return and_(SharingAgreement.valid_from <= day,
                or_(SharingAgreement.valid_until.is_(None), SharingAgreement.valid_until >= day))


def _covers_enterprise(enterprise_id: int):
    """The enterprise itself, or a union above it (evaluated inside the same query)."""
    return or_(SharingAgreement.enterprise_id == enterprise_id,
               SharingAgreement.group_id.in_(ancestors_query(enterprise_id)))


def _covers_facility(facility_id: int):
    return or_(SharingAgreement.all_facilities.is_(True),
               SharingAgreement.id.in_(select(agreement_facilities.c.agreement_id).where(
                   agreement_facilities.c.facility_id == facility_id)))


ENTERPRISE_MINUTES = GuardedCounter(EnterpriseWeekUsage.__table__, ("host_id", "enterprise_id", "week_start"),
                                    "minutes_used")
WORKER_BOOKINGS = GuardedCounter(WorkerWeekUsage.__table__, ("host_id", "user_id", "week_start"), "bookings")
_sa, _af = SharingAgreement.__table__, agreement_facilities
_SUSPENSIONS = (
    select(Suspension.id, Suspension.starts_at, Suspension.ends_at)
    .where(Suspension.user_id == bindparam("user_id"), Suspension.host_id == bindparam("host_id"))
    .order_by(Suspension.ends_at.desc())
)
# The agreement in force for (enterprise, host, facility, day): one made with the enterprise
# itself wins over a union-wide one, then the latest. Prebuilt: the booking path's hot query.
_AGREEMENT = (
    select(_sa.c.id, _sa.c.minutes_per_week, _sa.c.bookings_per_worker)
    .where(_sa.c.host_id == bindparam("host_id"),
           or_(_sa.c.enterprise_id == bindparam("enterprise_id"),
               _sa.c.group_id.in_(ancestors_query(bindparam("enterprise_id")))),
           or_(_sa.c.all_facilities.is_(True),
               _sa.c.id.in_(select(_af.c.agreement_id).where(_af.c.facility_id == bindparam("facility_id")))),
           _sa.c.valid_from <= bindparam("day"),
           or_(_sa.c.valid_until.is_(None), _sa.c.valid_until >= bindparam("day")))
    .order_by(_sa.c.enterprise_id.is_(None), _sa.c.valid_from.desc(), _sa.c.id.desc())
    .limit(1)
)


def agreement_terms(enterprise_id: int, host_id: int, facility_id: int, day: date):
    """(id, minutes_per_week, bookings_per_worker) of the agreement in force, or None (cached
    per settings token: agreements, organizations and facilities change it)."""
    return cached("agreement", (enterprise_id, host_id, facility_id, day),
                  lambda: load_agreement_terms(enterprise_id, host_id, facility_id, day))


def load_agreement_terms(enterprise_id: int, host_id: int, facility_id: int, day: date):
    """agreement_terms() read from the database now, past the cache."""
    return fetch(_AGREEMENT, enterprise_id=enterprise_id, host_id=host_id, facility_id=facility_id,
                 day=day).first()


def agreement_for(enterprise_id: int, host_id: int, facility_id: int, day: date) -> SharingAgreement | None:
    """The agreement in force, as an ORM object."""
    terms = agreement_terms(enterprise_id, host_id, facility_id, day)
    return db.session.get(SharingAgreement, terms.id) if terms else None


def shared_facility_ids(enterprise_id: int, day: date) -> tuple[set[int], set[int]]:
    """(hosts shared whole, single facilities shared) with an enterprise on `day`."""
    rows = db.session.execute(select(SharingAgreement.id, SharingAgreement.host_id,
                                     SharingAgreement.all_facilities).where(
        _covers_enterprise(enterprise_id), _in_force(day))).all()
    whole_hosts = {r.host_id for r in rows if r.all_facilities}
    partial = [r.id for r in rows if not r.all_facilities]
    facilities = set(db.session.scalars(select(agreement_facilities.c.facility_id).where(
        agreement_facilities.c.agreement_id.in_(partial)))) if partial else set()
    return whole_hosts, facilities


def charge(agreement: SharingAgreement, host_id: int, enterprise_id: int, user_id: int,
           week: date, minutes: int) -> None:
    """Take `minutes` of the enterprise's week and one of the worker's bookings, or refuse.

    Each counter changes in one guarded UPSERT: the row is created, or raised only while the
    raise keeps it within the agreement's limit; no row changed means the limit is reached.
    """
    ent = EnterpriseWeekUsage.__table__
    if not ENTERPRISE_MINUTES.add(minutes, agreement.minutes_per_week, host_id=host_id,
                                  enterprise_id=enterprise_id, week_start=week):
        used = db.session.scalar(select(ent.c.minutes_used).where(
            ent.c.host_id == host_id, ent.c.enterprise_id == enterprise_id, ent.c.week_start == week)) or 0
        raise quota_exceeded(agreement, used)
    if not WORKER_BOOKINGS.add(1, agreement.bookings_per_worker, host_id=host_id, user_id=user_id,
                               week_start=week):
        raise worker_limit(agreement)


def quota_exceeded(agreement, used: int) -> Conflict:
    left = max(agreement.minutes_per_week - used, 0)
    return Conflict(_l("Your enterprise has used its weekly hours at this host "
                       "(%(left)s minutes left this week)."), code="quota_exceeded",
                    left=left, minutes_left=left)


def worker_limit(agreement) -> Conflict:
    return Conflict(_l("You already have %(cap)s bookings at this host this week, the most "
                       "your enterprise's agreement allows."), code="worker_limit",
                    cap=agreement.bookings_per_worker, bookings_left=0)


def refund(host_id: int, enterprise_id: int, user_id: int, week: date, minutes: int) -> None:
    ent = EnterpriseWeekUsage.__table__.c
    db.session.execute(update(EnterpriseWeekUsage.__table__).where(
        ent.host_id == host_id, ent.enterprise_id == enterprise_id, ent.week_start == week
    ).values(minutes_used=ent.minutes_used - minutes))
    wk = WorkerWeekUsage.__table__.c
    db.session.execute(update(WorkerWeekUsage.__table__).where(
        wk.host_id == host_id, wk.user_id == user_id, wk.week_start == week
    ).values(bookings=wk.bookings - 1))


# --- suspensions (no-show policy) ----------------------------------------------------------

def active_suspension(user_id: int, host_id: int, now):
    """The worker's suspension at a host in force at `now` (a row with .ends_at), or None."""
    periods = cached("suspensions", (user_id, host_id),
                     lambda: tuple(fetch(_SUSPENSIONS, user_id=user_id, host_id=host_id)))
    return next((p for p in periods if p.starts_at <= now < p.ends_at), None)


def apply_no_show_policy(user_id: int, host_id: int, now) -> object | None:
    """After a no-show: suspend the worker at that host when they reached the host's limit.

    Runs inside the caller's transaction. Returns the new suspension, if any.
    """
    from datetime import timedelta

    from ..reservations.models import Reservation
    from .models import NoShowPolicy, Suspension
    policy = db.session.get(NoShowPolicy, host_id)
    if policy is None or policy.suspend_days == 0 or active_suspension(user_id, host_id, now):
        return None
    since = now - timedelta(days=policy.within_days)
    last = db.session.scalar(select(Suspension.ends_at).where(
        Suspension.user_id == user_id, Suspension.host_id == host_id).order_by(Suspension.ends_at.desc()).limit(1))
    if last and last > since:
        since = last  # no-shows already punished don't count twice
    count = db.session.scalar(select(func.count(Reservation.id)).where(
        Reservation.user_id == user_id, Reservation.host_id == host_id, Reservation.status == "no_show",
        Reservation.start_at >= since, Reservation.start_at <= now))
    if count < policy.no_show_limit:
        return None
    suspension = Suspension(user_id=user_id, host_id=host_id, starts_at=now,
                            ends_at=now + timedelta(days=policy.suspend_days), no_shows=count)
    db.session.add(suspension)
    return suspension


# --- what people see ----------------------------------------------------------------------

def agreements_of(enterprise_id: int, day: date) -> list[SharingAgreement]:
    """The agreements in force for an enterprise, one per host (its own wins over a union's)."""
    rows = db.session.scalars(select(SharingAgreement).where(
        _covers_enterprise(enterprise_id), _in_force(day))).all()
    best: dict[int, SharingAgreement] = {}
    for a in sorted(rows, key=lambda a: (a.enterprise_id is None, -a.valid_from.toordinal(), -a.id)):
        best.setdefault(a.host_id, a)
    return list(best.values())


def week_usage(enterprise_id: int, host_ids: list[int], week: date) -> dict[int, int]:
    c = EnterpriseWeekUsage.__table__.c
    return dict(db.session.execute(select(c.host_id, c.minutes_used).where(
        c.enterprise_id == enterprise_id, c.week_start == week, c.host_id.in_(host_ids))).all())


def worker_usage(user_id: int, host_ids: list[int], week: date) -> dict[int, int]:
    c = WorkerWeekUsage.__table__.c
    return dict(db.session.execute(select(c.host_id, c.bookings).where(
        c.user_id == user_id, c.week_start == week, c.host_id.in_(host_ids))).all())


def _left(limit, used):
    return None if limit is None else max(limit - used, 0)


def my_quota(user, day: date, now) -> dict:
    """The worker's view: per host, the enterprise's hours and their own bookings this ISO week."""
    from ..errors import Forbidden
    from ..timeutil import iso_week_label, week_start
    if not user.is_worker:
        raise Forbidden(_l("Only workers of an enterprise have a quota."), code="not_a_worker")
    week = week_start(day)
    agreements = agreements_of(user.enterprise_id, day)
    hosts = [a.host_id for a in agreements]
    used = week_usage(user.enterprise_id, hosts, week)
    mine = worker_usage(user.id, hosts, week)
    out = []
    for a in sorted(agreements, key=lambda a: a.host_id):
        suspension = active_suspension(user.id, a.host_id, now)
        minutes_used, my_bookings = used.get(a.host_id, 0), mine.get(a.host_id, 0)
        out.append({
            "host": a.host, "agreement": a,
            "minutes_limit": a.minutes_per_week, "minutes_used": minutes_used,
            "bookings_per_worker": a.bookings_per_worker, "my_bookings": my_bookings,
            "minutes_left": _left(a.minutes_per_week, minutes_used),
            "bookings_left": _left(a.bookings_per_worker, my_bookings),
            "suspended_until": suspension.ends_at if suspension else None,
        })
    return {"enterprise": user.enterprise, "week": iso_week_label(day), "week_start": week, "hosts": out}


def enterprise_report(admin, week: date) -> list[dict]:
    """Enterprise admin: use per host this week, and per worker."""
    from ..accounts.models import User
    from ..errors import Forbidden
    from ..organizations.models import Organization
    from ..reservations.models import QUOTA_CONSUMING, Reservation
    orgs = admin.org_ids("enterprise_admin")
    if not orgs:
        raise Forbidden()
    out = []
    for ent_id in sorted(orgs):
        agreements = agreements_of(ent_id, week)
        used = week_usage(ent_id, [a.host_id for a in agreements], week)
        per_worker = db.session.execute(
            select(User.display_name, Reservation.host_id, func.count(Reservation.id),
                   func.sum(Reservation.quota_minutes))
            .join(User, User.id == Reservation.user_id)
            .where(Reservation.enterprise_id == ent_id, Reservation.week_start == week,
                   Reservation.status.in_(QUOTA_CONSUMING))
            .group_by(User.display_name, Reservation.host_id).order_by(User.display_name)).all()
        out.append({"enterprise_id": ent_id, "enterprise": db.session.get(Organization, ent_id), "hosts": [
            {"host": a.host, "minutes_limit": a.minutes_per_week, "minutes_used": used.get(a.host_id, 0),
             "bookings_per_worker": a.bookings_per_worker,
             "workers": [{"name": n, "bookings": c, "minutes": m} for n, h, c, m in per_worker if h == a.host_id]}
            for a in sorted(agreements, key=lambda a: a.host_id)]})
    return out


def host_report(staff, week: date) -> list[dict]:
    """Host admin: use per enterprise against its agreement for one week."""
    from ..errors import Forbidden
    from ..organizations.models import Organization
    hosts = staff.org_ids("host_admin")
    if not hosts:
        raise Forbidden()
    c = EnterpriseWeekUsage.__table__.c
    rows = db.session.execute(select(c.host_id, c.enterprise_id, c.minutes_used, Organization.name)
                              .join(Organization, Organization.id == c.enterprise_id)
                              .where(c.host_id.in_(hosts), c.week_start == week)
                              .order_by(c.minutes_used.desc())).all()
    out = []
    for host_id, ent_id, minutes, name in rows:
        a = agreement_for_host(ent_id, host_id, week)
        out.append({"host_id": host_id, "enterprise_id": ent_id, "enterprise": name, "minutes_used": minutes,
                    "minutes_limit": a.minutes_per_week if a else None})
    return out


def agreement_for_host(enterprise_id: int, host_id: int, day: date) -> SharingAgreement | None:
    return next((a for a in agreements_of(enterprise_id, day) if a.host_id == host_id), None)


def quota_at_host(user, host_id: int, day: date, now) -> dict | None:
    """Before booking: the worker's and their enterprise's figures at one host, in the week of `day`.

    None for someone without a quota there (not a worker, or no agreement in force).
    """
    if not user.is_worker:
        return None
    q = my_quota(user, day, now)
    host = next((h for h in q["hosts"] if h["host"].id == host_id), None)
    if host is None:
        return None
    return {**host, "week": q["week"], "week_start": q["week_start"]}


def enterprise_suspensions(admin, now) -> list[dict]:
    """Enterprise admin: their workers suspended at any host right now, with the end."""
    from ..accounts.models import User
    from ..errors import Forbidden
    from ..organizations.models import Organization
    from .models import Suspension
    ents = admin.org_ids("enterprise_admin")
    if not ents:
        raise Forbidden()
    rows = db.session.execute(
        select(Suspension, User, Organization).join(User, User.id == Suspension.user_id)
        .join(Organization, Organization.id == Suspension.host_id)
        .where(User.enterprise_id.in_(ents), Suspension.starts_at <= now, Suspension.ends_at > now)
        .order_by(Suspension.ends_at, User.display_name)).all()
    return [{"user": u, "host": h, "ends_at": s.ends_at, "no_shows": s.no_shows} for s, u, h in rows]


# --- no-show policy (host admin) ---------------------------------------------------------

POLICY_BOUNDS = {"no_show_limit": (1, 20), "within_days": (1, 365), "suspend_days": (0, 365)}
POLICY_DEFAULTS = {"no_show_limit": 3, "within_days": 30, "suspend_days": 14}


def _policy_host(admin, host_id: int) -> None:
    from ..errors import Forbidden, NotFound
    hosts = admin.org_ids("host_admin")
    if not hosts:
        raise Forbidden()
    if host_id not in hosts:
        raise NotFound()


def no_show_policy(admin, host_id: int) -> dict:
    """The host's numbers, and whether it has a policy at all (none: no suspensions)."""
    from .models import NoShowPolicy
    _policy_host(admin, host_id)
    policy = db.session.get(NoShowPolicy, host_id)
    if policy is None:
        return {**POLICY_DEFAULTS, "exists": False}
    return {"no_show_limit": policy.no_show_limit, "within_days": policy.within_days,
            "suspend_days": policy.suspend_days, "exists": True}


def set_no_show_policy(admin, host_id: int, no_show_limit, within_days, suspend_days):
    """`no_show_limit` no-shows within `within_days` days suspend for `suspend_days` (0: never)."""
    from ..database import begin_write
    from ..errors import Invalid
    from .models import NoShowPolicy
    _policy_host(admin, host_id)
    values = {"no_show_limit": no_show_limit, "within_days": within_days, "suspend_days": suspend_days}
    messages = {
        "no_show_limit": _l("The number of no-shows must be a whole number from 1 to 20."),
        "within_days": _l("The period must be a whole number of days from 1 to 365."),
        "suspend_days": _l("The suspension must be a whole number of days from 0 to 365."),
    }
    for name, value in values.items():
        low, high = POLICY_BOUNDS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(messages[name], code="invalid_policy", field=name)
    begin_write()
    try:
        policy = db.session.get(NoShowPolicy, host_id)
        if policy is None:
            policy = NoShowPolicy(host_id=host_id)
            db.session.add(policy)
        for name, value in values.items():
            setattr(policy, name, value)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return policy
