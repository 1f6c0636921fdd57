"""Host admins create, change and end sharing agreements; enterprise admins read theirs.

Here, above the quotas and facilities packages, because a change of an agreement raises the
rules version of the facilities it covers (facilities.versions): quotas itself stays below
facilities, with no import of it."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..audit import services as audit
from ..database import write_transaction
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities.models import Facility, Venue
from ..facilities.versions import change_rules, host_facility_ids
from ..organizations.models import Organization
from ..quotas.models import SharingAgreement

GROUP_KINDS = ("community_union", "joint_union")
AUDITED = (
    "enterprise_id",
    "group_id",
    "all_facilities",
    "minutes_per_week",
    "bookings_per_worker",
    "valid_from",
    "valid_until",
)


def list_for(user) -> list[SharingAgreement]:
    hosts = user.org_ids("host_admin")
    ents = user.org_ids("enterprise_admin")
    if not hosts and not ents:
        raise Forbidden()
    conditions = []
    if hosts:
        conditions.append(SharingAgreement.host_id.in_(hosts))
    if ents:
        conditions.append(SharingAgreement.enterprise_id.in_(ents))
    return list(
        db.session.scalars(
            select(SharingAgreement).where(or_(*conditions)).order_by(SharingAgreement.host_id, SharingAgreement.id)
        )
    )


def _limits(hours, bookings_per_worker) -> tuple[int | None, int | None]:
    if hours is not None:
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 <= hours <= 168:
            raise Invalid(_l("Weekly hours must be between 0 and 168."), code="invalid_hours", field="hours")
        if round(hours * 60) != hours * 60:
            raise Invalid(_l("Weekly hours must be whole minutes."), code="invalid_hours", field="hours")
    if bookings_per_worker is not None:
        if (
            isinstance(bookings_per_worker, bool)
            or not isinstance(bookings_per_worker, int)
            or not 0 <= bookings_per_worker <= 100
        ):
            raise Invalid(
                _l("Bookings per worker must be between 0 and 100."),
                code="invalid_bookings",
                field="bookings_per_worker",
            )
    return (round(hours * 60) if hours is not None else None), bookings_per_worker


def _dates(valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise Invalid(_l("The end date is before the start date."), code="invalid_dates", field="valid_until")


def create(
    admin,
    host_id: int,
    valid_from: date,
    enterprise_id: int | None = None,
    group_id: int | None = None,
    facility_ids: list[int] | None = None,
    hours=None,
    bookings_per_worker=None,
    valid_until: date | None = None,
) -> SharingAgreement:
    if host_id not in admin.org_ids("host_admin"):
        raise NotFound()
    if (enterprise_id is None) == (group_id is None):
        raise Invalid(_l("Choose one enterprise, or one union for all its enterprises."), code="invalid_party")
    minutes, per_worker = _limits(hours, bookings_per_worker)
    _dates(valid_from, valid_until)
    with write_transaction():
        # A new agreement may take precedence (one made with the enterprise itself wins over a
        # union's) with other limits: bookings planned under the old terms must re-plan.
        change_rules(facility_ids or host_facility_ids(host_id))
        party = db.session.get(Organization, enterprise_id if enterprise_id is not None else group_id)
        wanted = ("enterprise",) if enterprise_id is not None else GROUP_KINDS
        if party is None or party.kind not in wanted:
            raise Invalid(_l("No such enterprise or union."), code="invalid_party")
        facilities = []
        if facility_ids:
            facilities = list(
                db.session.scalars(
                    select(Facility).join(Venue).where(Facility.id.in_(facility_ids), Venue.host_id == host_id)
                )
            )
            if len(facilities) != len(set(facility_ids)):
                raise Invalid(_l("Some facilities are not this host's."), code="invalid_facilities")
        agreement = SharingAgreement(
            host_id=host_id,
            enterprise_id=enterprise_id,
            group_id=group_id,
            all_facilities=not facilities,
            facilities=facilities,
            minutes_per_week=minutes,
            bookings_per_worker=per_worker,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        db.session.add(agreement)
        audit.record(
            admin,
            "agreement.create",
            "agreement",
            agreement,
            host_id,
            enterprise_id,
            after={**audit.snapshot(agreement, AUDITED), "facility_ids": [f.id for f in facilities]},
        )
    return agreement


_UNSET = object()


def change(admin, agreement_id: int, hours=_UNSET, bookings_per_worker=_UNSET, valid_until=_UNSET) -> SharingAgreement:
    """New limits apply from now on; what is booked stays booked and counted.

    The facilities it covers get a new rules version first: a booking planned under the old
    limits or validity re-plans under the new ones (facilities.versions).
    """
    with write_transaction():
        a = db.session.get(SharingAgreement, agreement_id)
        if a is None or a.host_id not in admin.org_ids("host_admin"):
            raise NotFound()
        change_rules(host_facility_ids(a.host_id) if a.all_facilities else [f.id for f in a.facilities])
        before = audit.snapshot(a, AUDITED)
        minutes, per_worker = _limits(
            None if hours is _UNSET else hours, None if bookings_per_worker is _UNSET else bookings_per_worker
        )
        if hours is not _UNSET:
            a.minutes_per_week = minutes
        if bookings_per_worker is not _UNSET:
            a.bookings_per_worker = per_worker
        if valid_until is not _UNSET:
            _dates(a.valid_from, valid_until)
            a.valid_until = valid_until
        audit.record(
            admin, "agreement.change", "agreement", a.id, a.host_id, a.enterprise_id, before, audit.snapshot(a, AUDITED)
        )
    return a


# --- host admin and enterprise admin screens ------------------------------------------------


def state(agreement: SharingAgreement, today: date) -> str:
    """'future', 'ended' or 'in_force' on `today`."""
    if agreement.valid_from > today:
        return "future"
    if agreement.valid_until is not None and agreement.valid_until < today:
        return "ended"
    return "in_force"


def _host_ids(admin) -> set[int]:
    hosts = admin.org_ids("host_admin")
    if not hosts:
        raise Forbidden(_l("This page is for the host's administrators."))
    return hosts


def admin_hosts(admin) -> list[Organization]:
    return list(
        db.session.scalars(select(Organization).where(Organization.id.in_(_host_ids(admin))).order_by(Organization.id))
    )


def host_agreements(admin) -> list[SharingAgreement]:
    """Every agreement of the admin's hosts, newest first within each host."""
    return list(
        db.session.scalars(
            select(SharingAgreement)
            .where(SharingAgreement.host_id.in_(_host_ids(admin)))
            .order_by(SharingAgreement.host_id, SharingAgreement.id.desc())
        )
    )


def get_for_host_admin(admin, agreement_id: int) -> SharingAgreement:
    hosts = _host_ids(admin)
    agreement = db.session.get(SharingAgreement, agreement_id)
    if agreement is None or agreement.host_id not in hosts:
        raise NotFound()
    return agreement


def host_facilities(admin) -> list[Facility]:
    return list(
        db.session.scalars(
            select(Facility)
            .join(Venue)
            .where(Venue.host_id.in_(_host_ids(admin)))
            .order_by(Venue.host_id, Venue.id, Facility.id)
        )
    )


def parties() -> tuple[list[Organization], list[Organization]]:
    """(enterprises, community and joint unions) an agreement may be made with."""
    rows = db.session.scalars(
        select(Organization).where(Organization.kind.in_(("enterprise",) + GROUP_KINDS)).order_by(Organization.name)
    ).all()
    return [o for o in rows if o.kind == "enterprise"], [o for o in rows if o.kind in GROUP_KINDS]


def for_enterprise_admin(admin) -> list[SharingAgreement]:
    """Agreements covering the admin's enterprises: their own and their unions' (read-only)."""
    from ..organizations.services import ancestor_ids

    ents = admin.org_ids("enterprise_admin")
    if not ents:
        raise Forbidden()
    groups = {g for e in ents for g in ancestor_ids(e)[1:]}
    clause = SharingAgreement.enterprise_id.in_(ents)
    if groups:
        clause = or_(clause, SharingAgreement.group_id.in_(groups))
    return list(
        db.session.scalars(
            select(SharingAgreement).where(clause).order_by(SharingAgreement.host_id, SharingAgreement.id.desc())
        )
    )
