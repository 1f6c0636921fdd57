"""Write an audit entry inside the caller's transaction; read the entries a person may see."""

from datetime import date, datetime

from sqlalchemy import or_, select

from ..errors import Forbidden
from ..extensions import db
from ..timeutil import utcnow
from .models import AuditEntry

PER_PAGE = 30


def _plain(value):
    """A JSON-safe copy: dates as ISO text, sets and tuples as lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def snapshot(obj, fields) -> dict:
    """The named attributes of a row, JSON-safe: what goes into before/after."""
    return _plain({name: getattr(obj, name) for name in fields})


def record(
    actor,
    action: str,
    obj_type: str,
    obj_id,
    host_id: int | None = None,
    enterprise_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction (no commit: it lands with the change or not at all).

    `obj_id` may be the changed row itself when its id is not known yet (a new row): the
    session is flushed to get it.
    """
    if obj_id is not None and not isinstance(obj_id, int):
        if getattr(obj_id, "id", None) is None:
            db.session.flush()
        obj_id = obj_id.id
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        obj_type=obj_type,
        obj_id=obj_id,
        host_id=host_id,
        enterprise_id=enterprise_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        created_at=now or utcnow(),
    )
    db.session.add(entry)
    return entry


def _scope(viewer):
    """The condition on entries the viewer may read, or None for all (district admins)."""
    if viewer.has_role("district_admin"):
        return None
    hosts, enterprises = viewer.org_ids("host_admin"), viewer.org_ids("enterprise_admin")
    if not hosts and not enterprises:
        raise Forbidden()
    conditions = []
    if hosts:
        conditions.append(AuditEntry.host_id.in_(hosts))
    if enterprises:
        conditions.append(AuditEntry.enterprise_id.in_(enterprises))
    return or_(*conditions)


def entries_for(viewer, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[AuditEntry], bool]:
    """Newest first, one page; and whether there is a next page."""
    page = max(int(page or 1), 1)
    stmt = select(AuditEntry)
    condition = _scope(viewer)
    if condition is not None:
        stmt = stmt.where(condition)
    rows = list(
        db.session.scalars(
            stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def changes(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """(field, before, after) for the fields that differ: the compact form of an entry."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
