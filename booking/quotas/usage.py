"""What people see of quotas: a worker's week, the enterprise admin's and the host's reports."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from .limits import _covers_enterprise, _in_force
from .models import EnterpriseWeekUsage, SharingAgreement, WorkerWeekUsage
from .no_shows import active_suspension


def agreements_of(enterprise_id: int, day: date) -> list[SharingAgreement]:
    """The agreements in force for an enterprise, one per host (its own wins over a union's)."""
    rows = db.session.scalars(select(SharingAgreement).where(_covers_enterprise(enterprise_id), _in_force(day))).all()
    best: dict[int, SharingAgreement] = {}
    for a in sorted(rows, key=lambda a: (a.enterprise_id is None, -a.valid_from.toordinal(), -a.id)):
        best.setdefault(a.host_id, a)
    return list(best.values())


def week_usage(enterprise_id: int, host_ids: list[int], week: date) -> dict[int, int]:
    c = EnterpriseWeekUsage.__table__.c
    return dict(
        db.session.execute(
            select(c.host_id, c.minutes_used).where(
                c.enterprise_id == enterprise_id, c.week_start == week, c.host_id.in_(host_ids)
            )
        ).all()
    )


def worker_usage(user_id: int, host_ids: list[int], week: date) -> dict[int, int]:
    c = WorkerWeekUsage.__table__.c
    return dict(
        db.session.execute(
            select(c.host_id, c.bookings).where(c.user_id == user_id, c.week_start == week, c.host_id.in_(host_ids))
        ).all()
    )


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
        out.append(
            {
                "host": a.host,
                "agreement": a,
                "minutes_limit": a.minutes_per_week,
                "minutes_used": minutes_used,
                "bookings_per_worker": a.bookings_per_worker,
                "my_bookings": my_bookings,
                "minutes_left": _left(a.minutes_per_week, minutes_used),
                "bookings_left": _left(a.bookings_per_worker, my_bookings),
                "suspended_until": suspension.ends_at if suspension else None,
            }
        )
    return {"enterprise": user.enterprise, "week": iso_week_label(day), "week_start": week, "hosts": out}


def host_report(staff, week: date) -> list[dict]:
    """Host admin: use per enterprise against its agreement for one week."""
    from ..errors import Forbidden
    from ..organizations.models import Organization

    hosts = staff.org_ids("host_admin")
    if not hosts:
        raise Forbidden()
    c = EnterpriseWeekUsage.__table__.c
    rows = db.session.execute(
        select(c.host_id, c.enterprise_id, c.minutes_used, Organization.name)
        .join(Organization, Organization.id == c.enterprise_id)
        .where(c.host_id.in_(hosts), c.week_start == week)
        .order_by(c.minutes_used.desc())
    ).all()
    out = []
    for host_id, ent_id, minutes, name in rows:
        a = agreement_for_host(ent_id, host_id, week)
        out.append(
            {
                "host_id": host_id,
                "enterprise_id": ent_id,
                "enterprise": name,
                "minutes_used": minutes,
                "minutes_limit": a.minutes_per_week if a else None,
            }
        )
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
