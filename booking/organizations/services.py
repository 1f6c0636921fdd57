"""Questions about the organization tree."""

from sqlalchemy import select

from ..extensions import db
from .models import Organization


def ancestors_query(org_id: int):
    """A SELECT of the organization's id and the ids of the unions above it (recursive CTE)."""
    o = Organization.__table__
    tree = select(o.c.id, o.c.parent_id).where(o.c.id == org_id).cte("ancestors", recursive=True)
    tree = tree.union_all(select(o.c.id, o.c.parent_id).join(tree, o.c.id == tree.c.parent_id))
    return select(tree.c.id)


def ancestor_ids(org_id: int) -> list[int]:
    """The organization and the unions above it (one query)."""
    return list(db.session.scalars(ancestors_query(org_id)))
