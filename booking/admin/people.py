"""Admin accounts and role grants: a host's staff (host admins) and organizations' admins (district).

A host admin cannot take away their own admin grant, so a host is never left without one by
a slip of the thumb.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts import rules as account_rules
from ..accounts import sessions
from ..accounts.models import RoleGrant, User
from ..accounts.services import bad_username, hash_password, username_taken, validate_password
from ..audit import services as audit
from ..database import write_transaction
from ..errors import Conflict, DomainError, Invalid, NotFound
from ..extensions import db
from ..facilities.models import Venue
from ..timeutil import utcnow
from . import scope

HOST_ROLES = ("host_staff", "host_admin")


def _role(role, allowed) -> str:
    if role not in allowed:
        raise Invalid(_l("Choose a role."), code="invalid_role", field="role")
    return role


def _holders(org_id: int, roles) -> list[tuple[User, list[str]]]:
    rows = db.session.execute(
        select(User, RoleGrant.role)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.organization_id == org_id, RoleGrant.role.in_(roles))
        .order_by(User.username, RoleGrant.role)
    ).all()
    out: dict = {}
    for user, role in rows:
        out.setdefault(user, []).append(role)
    return list(out.items())


def _bad_name() -> Invalid:
    return Invalid(_l("Please give a name (at most 60 characters)."), code="bad_name", field="display_name")


def _new_account(username, display_name, password, enterprise_id=None) -> tuple[User, str]:
    """Checked values of a new account (not added yet) and its username."""
    username = account_rules.normalize_username(username)
    if not account_rules.is_valid_username(username):
        raise bad_username()
    display_name = (display_name or "").strip() if isinstance(display_name, str) else ""
    if not 1 <= len(display_name) <= 60:
        raise _bad_name()
    validate_password(password if isinstance(password, str) else "", username)
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        enterprise_id=enterprise_id,
        status="active",
    )
    return user, username


def account_problems(username, display_name, password) -> list[DomainError]:
    """Every problem a new account's fields have, at once (_new_account stops at the first):
    for a form to show them all in one submit. Reads only."""
    out: list[DomainError] = []
    name = account_rules.normalize_username(username if isinstance(username, str) else "")
    if not account_rules.is_valid_username(name):
        out.append(bad_username())
    elif db.session.scalar(select(User.id).where(User.username == name)):
        out.append(username_taken())
    if not 1 <= len((display_name if isinstance(display_name, str) else "").strip()) <= 60:
        out.append(_bad_name())
    try:
        validate_password(password if isinstance(password, str) else "", name)
    except DomainError as err:
        out.append(err)
    return out


def _add_account(user: User) -> None:
    """Inside the write transaction: refuse a taken username, then add."""
    if db.session.scalar(select(User.id).where(User.username == user.username)):
        raise username_taken()
    db.session.add(user)


def _grant(actor, user: User, role: str, org_id: int, audit_host: int | None, audit_enterprise: int | None):
    if any(g.role == role and g.organization_id == org_id for g in user.grants):
        raise Conflict(
            _l("%(name)s already has that role."), code="already_granted", field="username", name=user.display_name
        )
    user.grants.append(RoleGrant(role=role, organization_id=org_id))
    audit.record(
        actor,
        "role.grant",
        "user",
        user,
        audit_host,
        audit_enterprise,
        after={"role": role, "organization_id": org_id, "username": user.username},
    )


def _find(username) -> User:
    user = db.session.scalar(
        select(User).where(
            User.username == account_rules.normalize_username(username if isinstance(username, str) else "")
        )
    )
    if user is None:
        raise Invalid(_l("No account has that username."), code="unknown_user", field="username")
    return user


def _revoke(actor, org_id: int, user_id: int, role: str, audit_host, audit_enterprise) -> User:
    grant = db.session.scalar(
        select(RoleGrant).where(
            RoleGrant.user_id == user_id, RoleGrant.organization_id == org_id, RoleGrant.role == role
        )
    )
    if grant is None:
        raise NotFound()
    user = grant.user
    audit.record(
        actor,
        "role.revoke",
        "user",
        user.id,
        audit_host,
        audit_enterprise,
        before={"role": role, "organization_id": org_id, "username": user.username},
    )
    user.grants.remove(grant)
    sessions.end_all(user.id, utcnow())  # pages already open must not keep the role's powers
    return user


def _write(fn):
    try:
        with write_transaction():
            return fn()
    except IntegrityError:  # at commit: a concurrent sign-up took the name first
        raise username_taken() from None


# --- a host's staff (host admins) --------------------------------------------------------------


def host_staff(admin, host_id: int):
    """The host and its staff and admins, each with their roles there."""
    host = _staff_host(admin, host_id)
    return host, _holders(host.id, HOST_ROLES)


def _staff_host(admin, host_id: int):
    if host_id not in scope.admin_hosts(admin):
        raise NotFound()
    return scope.host_for(admin, host_id)


def create_staff(admin, host_id: int, username, display_name, password, role="host_staff") -> User:
    role = _role(role, HOST_ROLES)
    _staff_host(admin, host_id)
    user, _ = _new_account(username, display_name, password)

    def run():
        _staff_host(admin, host_id)
        _add_account(user)
        _grant(admin, user, role, host_id, host_id, None)
        return user

    return _write(run)


def grant_staff(admin, host_id: int, username, role="host_staff") -> User:
    role = _role(role, HOST_ROLES)

    def run():
        _staff_host(admin, host_id)
        user = _find(username)
        _grant(admin, user, role, host_id, host_id, None)
        return user

    return _write(run)


def revoke_staff(admin, host_id: int, user_id: int, role) -> User:
    role = _role(role, HOST_ROLES)
    if user_id == admin.id and role == "host_admin":
        raise Conflict(
            _l("You cannot remove your own admin role; ask another admin of this host."), code="own_admin_role"
        )

    def run():
        _staff_host(admin, host_id)
        return _revoke(admin, host_id, user_id, role, host_id, None)

    return _write(run)


# --- organizations' admins (district) ----------------------------------------------------------


def admin_roles_for(org) -> tuple[str, ...]:
    """Enterprises have enterprise admins; organizations that own venues have host admins."""
    roles = ()
    if org.kind == "enterprise":
        roles += ("enterprise_admin",)
    if org.kind == "community_centre" or db.session.scalar(select(Venue.id).where(Venue.host_id == org.id).limit(1)):
        roles += ("host_admin",)
    return roles


def _audit_scope(org, role):
    return (org.id, None) if role == "host_admin" else (None, org.id)


def org_admins(district, org_id: int):
    org = scope.organization_for(district, org_id)
    return org, _holders(org.id, ("enterprise_admin", "host_admin"))


def create_org_admin(district, org_id: int, username, display_name, password, role) -> User:
    org = scope.organization_for(district, org_id)
    role = _role(role, admin_roles_for(org))
    user, _ = _new_account(
        username, display_name, password, enterprise_id=org.id if role == "enterprise_admin" else None
    )

    def run():
        scope.organization_for(district, org_id)
        _add_account(user)
        _grant(district, user, role, org_id, *_audit_scope(org, role))
        return user

    return _write(run)


def grant_org_admin(district, org_id: int, username, role) -> User:
    org = scope.organization_for(district, org_id)
    role = _role(role, admin_roles_for(org))

    def run():
        scope.organization_for(district, org_id)
        user = _find(username)
        if role == "enterprise_admin" and user.enterprise_id != org_id:
            raise Invalid(
                _l("An enterprise admin must be a member of the enterprise."), code="not_a_member", field="username"
            )
        _grant(district, user, role, org_id, *_audit_scope(org, role))
        return user

    return _write(run)


def revoke_org_admin(district, org_id: int, user_id: int, role) -> User:
    role = _role(role, ("enterprise_admin", "host_admin"))

    def run():
        org = scope.organization_for(district, org_id)
        return _revoke(district, org_id, user_id, role, *_audit_scope(org, role))

    return _write(run)
