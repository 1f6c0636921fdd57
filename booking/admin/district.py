"""District admin use cases: the organization tree, and enterprises' invite codes.

A host is an organization that owns venues: creating one is an organization plus its first
venue (or a venue added later to an existing organization, see services.create_venue).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.models import User
from ..audit import services as audit
from ..database import write_transaction
from ..errors import Conflict, Invalid
from ..extensions import db
from ..facilities.models import Venue
from ..organizations.models import KINDS, Organization, new_invite_code
from ..timeutil import utcnow
from . import scope
from .services import clean_venue

ORG_FIELDS = ("name", "kind", "parent_id", "headcount", "invite_code")
MAX_HEADCOUNT = 10_000_000
MAX_DEPTH = 8


def organizations(district) -> list[tuple[Organization, int]]:
    """Every organization, parents before children, with how many venues it owns."""
    scope.require_district(district)
    venues = dict(db.session.execute(select(Venue.host_id, func.count(Venue.id)).group_by(Venue.host_id)).all())
    orgs = list(db.session.scalars(select(Organization).order_by(Organization.id)))
    children: dict = {}
    for o in orgs:
        children.setdefault(o.parent_id, []).append(o)
    out, seen = [], set()

    def walk(parent_id, depth):
        for o in sorted(children.get(parent_id, []), key=lambda o: (o.kind, o.name)):
            if o.id not in seen:
                seen.add(o.id)
                out.append((o, depth, venues.get(o.id, 0)))
                walk(o.id, depth + 1)

    walk(None, 0)
    out += [(o, 0, venues.get(o.id, 0)) for o in orgs if o.id not in seen]  # a cycle made elsewhere
    return out


def _clean(values: dict) -> dict:
    name = values.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 120:
        raise Invalid(_l("Please give a name (at most 120 characters)."), code="invalid_name", field="name")
    kind = values.get("kind")
    if kind not in KINDS:
        raise Invalid(_l("Choose a kind of organization."), code="invalid_kind", field="kind")
    headcount = values.get("headcount", 0)
    if isinstance(headcount, bool) or not isinstance(headcount, int) or not 0 <= headcount <= MAX_HEADCOUNT:
        raise Invalid(
            _l("Enter a number from %(low)d to %(high)d."),
            code="invalid_headcount",
            field="headcount",
            low=0,
            high=MAX_HEADCOUNT,
        )
    parent_id = values.get("parent_id")
    if parent_id is not None and (isinstance(parent_id, bool) or not isinstance(parent_id, int)):
        raise Invalid(_l("No such organization."), code="unknown_parent", field="parent_id")
    return {"name": name, "kind": kind, "headcount": headcount, "parent_id": parent_id}


def _check_in_transaction(clean: dict, org_id: int | None) -> None:
    """Name free, parent known and not the organization itself or one below it."""
    taken = db.session.scalar(select(Organization.id).where(Organization.name == clean["name"]))
    if taken and taken != org_id:
        raise Conflict(_l("An organization with that name exists."), code="name_taken", field="name")
    parent_id = clean["parent_id"]
    if parent_id is None:
        return
    if parent_id == org_id:
        raise Invalid(_l("An organization cannot be its own parent."), code="own_parent", field="parent_id")
    current, depth = parent_id, 0
    while current is not None:
        parent = db.session.get(Organization, current)
        if parent is None:
            raise Invalid(_l("No such organization."), code="unknown_parent", field="parent_id")
        if org_id is not None and parent.parent_id == org_id:
            raise Invalid(_l("That parent is below this organization."), code="parent_cycle", field="parent_id")
        current, depth = parent.parent_id, depth + 1
        if depth > MAX_DEPTH:
            raise Invalid(_l("The organization tree is too deep."), code="parent_cycle", field="parent_id")


def _unique_code() -> str:
    while True:
        code = new_invite_code()
        if not db.session.scalar(select(Organization.id).where(Organization.invite_code == code)):
            return code


def create_organization(district, values: dict, venue: dict | None = None) -> tuple[Organization, Venue | None]:
    """A new organization; with `venue` values it is a host from the start."""
    scope.require_district(district)
    clean = _clean(values)
    venue_values = clean_venue(venue) if venue else None
    with write_transaction():
        _check_in_transaction(clean, None)
        org = Organization(**clean, invite_code=_unique_code() if clean["kind"] == "enterprise" else None)
        db.session.add(org)
        db.session.flush()
        host_id, enterprise_id = _audit_scope(org)
        audit.record(
            district,
            "organization.create",
            "organization",
            org.id,
            host_id,
            enterprise_id,
            after=audit.snapshot(org, ORG_FIELDS),
        )
        new_venue = None
        if venue_values:
            new_venue = Venue(host_id=org.id, created_at=utcnow(), **venue_values)
            db.session.add(new_venue)
            audit.record(district, "venue.create", "venue", new_venue, org.id, after=venue_values)
    return org, new_venue


def _audit_scope(org: Organization) -> tuple[int | None, int | None]:
    """An organization's entries are read by its own admins: as a host, or as an enterprise."""
    return org.id, (org.id if org.kind == "enterprise" else None)


def change_organization(district, org_id: int, values: dict) -> Organization:
    scope.require_district(district)
    clean = _clean(values)
    with write_transaction():
        org = scope.organization_for(district, org_id)
        _check_in_transaction(clean, org.id)
        if (
            org.kind == "enterprise"
            and clean["kind"] != "enterprise"
            and db.session.scalar(select(User.id).where(User.enterprise_id == org.id).limit(1))
        ):
            raise Invalid(
                _l("Its workers belong to it as an enterprise; it must stay one."), code="has_workers", field="kind"
            )
        before = audit.snapshot(org, ORG_FIELDS)
        for name, value in clean.items():
            setattr(org, name, value)
        if org.kind == "enterprise" and not org.invite_code:
            org.invite_code = _unique_code()
        db.session.flush()
        audit.record(
            district,
            "organization.change",
            "organization",
            org.id,
            *_audit_scope(org),
            before=before,
            after=audit.snapshot(org, ORG_FIELDS),
        )
    return org


def regenerate_invite_code(district, org_id: int) -> Organization:
    """A new code for an enterprise; the old one stops working at once."""
    with write_transaction():
        org = scope.organization_for(district, org_id)
        if org.kind != "enterprise":
            raise Conflict(_l("Only enterprises have invite codes."), code="not_an_enterprise")
        before = org.invite_code
        org.invite_code = _unique_code()
        audit.record(
            district,
            "organization.invite_code",
            "organization",
            org.id,
            *_audit_scope(org),
            before={"invite_code": before},
            after={"invite_code": org.invite_code},
        )
    return org
