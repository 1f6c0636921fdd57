"""Questions about the organization tree."""
from sqlalchemy import select

from ..extensions import db
from .models import Organization


def ancestor_ids(org_id: int, depth: int = 6) -> list[int]:
    """The organization and the unions above it, nearest first."""
    ids = []
    current = org_id
    while current is not None and len(ids) < depth and current not in ids:
        ids.append(current)
        current = db.session.scalar(select(Organization.parent_id).where(Organization.id == current))
    return ids
