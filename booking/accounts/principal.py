"""Who is calling the API: what the services need of a user, read in one prebuilt query.

An API request authenticates on every call, so this is a hot path: one Core statement (token,
user, enterprise name, roles, and the cache's scope tokens for the rest of the request) instead
of loading ORM objects. It is read fresh every time, so a revoked token, a suspended account or
a changed role counts from its commit on; no cache to keep exact. A Principal answers the same role
questions as a User (RoleChecks) and has the attributes services read.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, literal_column, null, select, type_coerce, union_all

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
    return _principal(fetch(TOKEN_USER, digest=digest), now)


CALLER = "@"  # the kind of the caller's rows in a with_caller() statement


def with_caller(*parts):
    """One statement for the caller and what a handler reads of its own, in one round trip:
    TOKEN_USER's rows and the rows of `parts` (SELECTs of one shape whose first column is the
    row's kind; their bind parameters plus :digest), as one UNION ALL. Each row is (kind, the
    part's columns, TOKEN_USER's columns), NULL where the other side's are; split by
    principal_and_rows()."""
    shape = parts[0].selected_columns
    caller = TOKEN_USER.with_only_columns(
        literal_column("'" + CALLER + "'").label("kind"),
        *(type_coerce(null(), column.type).label(f"part_{i}") for i, column in enumerate(shape) if i),
        *TOKEN_USER.selected_columns,
    )
    padding = [type_coerce(null(), column.type) for column in TOKEN_USER.selected_columns]
    return union_all(caller, *(part.add_columns(*padding) for part in parts))


def principal_and_rows(statement, digest: str, now: datetime, **params) -> tuple[Principal | None, list[tuple]]:
    """A with_caller() statement run: (the caller's Principal or None, the parts' rows as
    tuples of the parts' columns). The parts' rows are read whoever the caller is: a handler
    shows them only once the caller may see them."""
    rows = fetch(statement, digest=digest, **params)
    width = len(statement.selected_columns) - len(TOKEN_USER.selected_columns)
    caller = [row for row in rows if row[0] == CALLER]
    return _principal(caller, now), [tuple(row[:width]) for row in rows if row[0] != CALLER]


def _principal(rows, now: datetime) -> Principal | None:
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
