"""Who is calling the API: what the services need of a user, read in one prebuilt query.

An API request authenticates on every call, so this is a hot path: one Core statement (token,
user, enterprise name, roles, and the cache's scope tokens for the rest of the request) instead
of loading ORM objects. It is read fresh every time, so a revoked token, a suspended account or
a changed role counts from its commit on; no cache to keep exact. A Principal answers the same role
questions as a User (RoleChecks) and has the attributes services read.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from ..cache import remember_tokens, token_columns
from ..database import fetch
from ..organizations.models import Organization
from .models import ApiToken, RoleChecks, RoleGrant, User


@dataclass(frozen=True)
class Grant:
    role: str
    organization_id: int


@dataclass(frozen=True)
class EnterpriseRef:
    id: int
    name: str


@dataclass(frozen=True, eq=False)
class Principal(RoleChecks):
    id: int
    username: str
    display_name: str
    enterprise_id: int | None
    status: str
    enterprise: EnterpriseRef | None
    grants: tuple[Grant, ...]

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.status == "active"


_u, _t, _g, _o = User.__table__, ApiToken.__table__, RoleGrant.__table__, Organization.__table__
TOKEN_USER = (
    select(
        _u.c.id,
        _u.c.username,
        _u.c.display_name,
        _u.c.enterprise_id,
        _u.c.status,
        _t.c.expires_at,
        _o.c.name.label("enterprise_name"),
        _g.c.role,
        _g.c.organization_id,
        *token_columns(),
    )
    .select_from(
        _t.join(_u, _u.c.id == _t.c.user_id)
        .outerjoin(_o, _o.c.id == _u.c.enterprise_id)
        .outerjoin(_g, _g.c.user_id == _u.c.id)
    )
    .where(_t.c.token_hash == bindparam("digest"), _t.c.revoked_at.is_(None))
)


def principal_for_digest(digest: str, now: datetime) -> Principal | None:
    rows = fetch(TOKEN_USER, digest=digest).all()
    if not rows:
        return None
    first = rows[0]
    remember_tokens(first)
    if first.status != "active" or first.expires_at <= now:
        return None
    return Principal(
        id=first.id,
        username=first.username,
        display_name=first.display_name,
        enterprise_id=first.enterprise_id,
        status=first.status,
        enterprise=EnterpriseRef(first.enterprise_id, first.enterprise_name) if first.enterprise_id else None,
        grants=tuple(Grant(r.role, r.organization_id) for r in rows if r.role is not None),
    )
