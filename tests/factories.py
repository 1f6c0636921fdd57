"""Builders that keep test data short. Each commits, so the rows are visible to HTTP calls."""

from datetime import date

from werkzeug.security import generate_password_hash

from booking.accounts.models import RoleGrant, User
from booking.extensions import db
from booking.facilities.models import Facility, OpeningHours, Venue
from booking.organizations.models import Organization
from booking.quotas.models import SharingAgreement

PASSWORD = "secret123"
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def org(name, kind="enterprise", parent=None, invite_code=None, headcount=10) -> Organization:
    o = Organization(name=name, kind=kind, parent=parent, invite_code=invite_code, headcount=headcount)
    db.session.add(o)
    db.session.commit()
    return o


def user(username, enterprise=None, roles=(), status="active", phone=None, display_name=None) -> User:
    u = User(
        username=username,
        display_name=display_name or username.title(),
        password_hash=_HASH,
        enterprise_id=enterprise.id if enterprise else None,
        status=status,
        phone=phone,
    )
    for role, organization in roles:
        u.grants.append(RoleGrant(role=role, organization_id=organization.id))
    db.session.add(u)
    db.session.commit()
    return u


def venue(host, name=None, tz="Asia/Shanghai") -> Venue:
    v = Venue(host_id=host.id, name=name or f"{host.name} venue", address="北仑区", timezone=tz)
    db.session.add(v)
    db.session.commit()
    return v


def facility(
    venue_, name="Court", kind="badminton", capacity=1, opens=8 * 60, closes=22 * 60, days=range(7), **kw
) -> Facility:
    f = Facility(
        venue_id=venue_.id,
        name=name,
        kind=kind,
        capacity=capacity,
        hours=[OpeningHours(weekday=d, opens_minute=opens, closes_minute=closes) for d in days],
        **kw,
    )
    db.session.add(f)
    db.session.commit()
    return f


def agreement(
    host,
    enterprise=None,
    group=None,
    hours=None,
    per_worker=None,
    facilities=None,
    valid_from=date(2020, 1, 1),
    valid_until=None,
) -> SharingAgreement:
    a = SharingAgreement(
        host_id=host.id,
        enterprise_id=enterprise.id if enterprise else None,
        group_id=group.id if group else None,
        minutes_per_week=hours * 60 if hours is not None else None,
        bookings_per_worker=per_worker,
        valid_from=valid_from,
        valid_until=valid_until,
        all_facilities=facilities is None,
        facilities=list(facilities or []),
    )
    db.session.add(a)
    db.session.commit()
    return a
