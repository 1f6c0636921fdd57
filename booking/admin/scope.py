"""Who may administer what. Every admin use case starts here.

A role that does not administer at all is Forbidden (403); an object of another host or
organization is NotFound (404), so its existence is not revealed.
"""

from flask_babel import lazy_gettext as _l

from ..errors import Forbidden, NotFound
from ..extensions import db
from ..facilities.models import Facility, Venue
from ..organizations.models import Organization


def admin_hosts(user) -> set[int]:
    hosts = user.org_ids("host_admin")
    if not hosts:
        raise Forbidden(_l("This page is for the host's admins."))
    return hosts


def is_district(user) -> bool:
    return user.has_role("district_admin")


def require_district(user) -> None:
    if not is_district(user):
        raise Forbidden(_l("This page is for the district federation's admins."))


def require_admin(user) -> None:
    """Host admins and district admins: the people the administration pages are for."""
    if not is_district(user):
        admin_hosts(user)


def host_for(user, host_id: int) -> Organization:
    """A host the user administers; district admins may set up any organization as a host."""
    if not is_district(user) and host_id not in admin_hosts(user):
        raise NotFound()
    host = db.session.get(Organization, host_id)
    if host is None:
        raise NotFound()
    return host


def venue_for(user, venue_id: int) -> Venue:
    hosts = admin_hosts(user)
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.host_id not in hosts:
        raise NotFound()
    return venue


def facility_for(user, facility_id: int) -> Facility:
    hosts = admin_hosts(user)
    facility = db.session.get(Facility, facility_id)
    if facility is None or facility.venue.host_id not in hosts:
        raise NotFound()
    return facility


def organization_for(user, org_id: int) -> Organization:
    require_district(user)
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound()
    return org
