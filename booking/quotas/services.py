"""Which agreement lets an enterprise book a facility, and the weekly counters it is held to.

charge() and refund() run inside the booking (or cancelling) transaction: the counters are
changed by guarded UPDATEs, so two processes can never both take the last hour of a quota.
"""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update

from ..database import insert_ignore
from ..errors import Conflict
from ..extensions import db
from ..organizations.services import ancestor_ids
from .models import EnterpriseWeekUsage, SharingAgreement, WorkerWeekUsage, agreement_facilities


def _in_force(day: date):
    return and_(SharingAgreement.valid_from <= day,
                or_(SharingAgreement.valid_until.is_(None), SharingAgreement.valid_until >= day))


def _covers_enterprise(enterprise_id: int):
    groups = ancestor_ids(enterprise_id)[1:]
    clause = SharingAgreement.enterprise_id == enterprise_id
    return or_(clause, SharingAgreement.group_id.in_(groups)) if groups else clause


def _covers_facility(facility_id: int):
    return or_(SharingAgreement.all_facilities.is_(True),
               SharingAgreement.id.in_(select(agreement_facilities.c.agreement_id).where(
                   agreement_facilities.c.facility_id == facility_id)))


def agreement_for(enterprise_id: int, host_id: int, facility_id: int, day: date) -> SharingAgreement | None:
    """The agreement in force: one made with the enterprise itself wins over a union-wide one."""
    rows = db.session.scalars(select(SharingAgreement).where(
        SharingAgreement.host_id == host_id, _covers_enterprise(enterprise_id),
        _covers_facility(facility_id), _in_force(day))).all()
    if not rows:
        return None
    return sorted(rows, key=lambda a: (a.enterprise_id is None, -a.valid_from.toordinal(), -a.id))[0]


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
    """Take `minutes` of the enterprise's week and one of the worker's bookings, or refuse."""
    insert_ignore(EnterpriseWeekUsage.__table__, host_id=host_id, enterprise_id=enterprise_id,
                  week_start=week, minutes_used=0)
    ent = EnterpriseWeekUsage.__table__.c
    stmt = update(EnterpriseWeekUsage.__table__).where(
        ent.host_id == host_id, ent.enterprise_id == enterprise_id, ent.week_start == week
    ).values(minutes_used=ent.minutes_used + minutes)
    if agreement.minutes_per_week is not None:
        stmt = stmt.where(ent.minutes_used + minutes <= agreement.minutes_per_week)
    if db.session.execute(stmt).rowcount != 1:
        used = db.session.scalar(select(ent.minutes_used).where(
            ent.host_id == host_id, ent.enterprise_id == enterprise_id, ent.week_start == week)) or 0
        left = max(agreement.minutes_per_week - used, 0)
        raise Conflict(_l("Your enterprise has used its weekly hours at this host "
                          "(%(left)s minutes left this week)."), code="quota_exceeded",
                       left=left, minutes_left=left)

    insert_ignore(WorkerWeekUsage.__table__, host_id=host_id, user_id=user_id, week_start=week, bookings=0)
    wk = WorkerWeekUsage.__table__.c
    stmt = update(WorkerWeekUsage.__table__).where(
        wk.host_id == host_id, wk.user_id == user_id, wk.week_start == week
    ).values(bookings=wk.bookings + 1)
    if agreement.bookings_per_worker is not None:
        stmt = stmt.where(wk.bookings + 1 <= agreement.bookings_per_worker)
    if db.session.execute(stmt).rowcount != 1:
        raise Conflict(_l("You already have %(cap)s bookings at this host this week, the most "
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
