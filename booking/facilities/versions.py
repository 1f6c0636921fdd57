"""A facility's rules version: what serializes a change of its slots with its bookings.

Every change that can move or remove slots (settings, opening hours, blackouts, the sharing
agreements that cover it) calls change_rules() FIRST in its write transaction. It raises the
version of each facility concerned, and on PostgreSQL that UPDATE takes the rows' lock: it
waits for bookings that hold the row FOR SHARE, and bookings wait for it. A booking compares
the version it planned with, under that lock (reservations.booking), and re-plans on a change.
On SQLite the IMMEDIATE write transactions serialize both sides already; the version still
tells a booking that its plan is stale.
"""

from sqlalchemy import select, update

from .. import cache
from ..extensions import db
from .models import Facility, Venue


def change_rules(facility_ids) -> None:
    """Raise the rules version of these facilities (locked in id order: two changes never deadlock)."""
    ids = sorted(set(facility_ids))
    if not ids:
        return
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("change_rules() must come first in its write transaction")
    db.session.execute(select(Facility.id).where(Facility.id.in_(ids)).order_by(Facility.id).with_for_update())
    db.session.execute(
        update(Facility)
        .where(Facility.id.in_(ids))
        .values(rules_version=Facility.rules_version + 1)
        .execution_options(synchronize_session=False)
    )
    cache.bump("facilities")  # a Core write to a watched table: cached snapshots must not outlive it
    # What the caller loads next must be what it now holds locked, not what it read before.
    db.session.expire_all()


def venue_facility_ids(venue_id: int) -> list[int]:
    return list(db.session.scalars(select(Facility.id).where(Facility.venue_id == venue_id)))


def host_facility_ids(host_id: int) -> list[int]:
    return list(db.session.scalars(select(Facility.id).join(Venue).where(Venue.host_id == host_id)))
