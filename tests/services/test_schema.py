"""The schema: migrations match the models, and the database itself guards its invariants."""

from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.facilities.models import Blackout, Facility
from booking.organizations.models import Organization
from tests import factories as f


def test_migrations_and_models_agree(ctx):
    with db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(mc, db.metadata)
    assert diff == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("capacity", 0),
        ("capacity", -3),
        ("slot_minutes", 0),
        ("window_days", -1),
        ("min_notice_minutes", -5),
        ("kind", None),
        ("name", None),
    ],
)
def test_facility_checks_are_in_the_database(ctx, field, value):
    host = f.org("Host")
    venue = f.venue(host)
    fac = Facility(venue_id=venue.id, name="c", kind="gym", capacity=5, slot_minutes=60)
    setattr(fac, field, value)
    db.session.add(fac)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_blackout_must_end_after_it_starts(ctx):
    venue = f.venue(f.org("Host"))
    fac = f.facility(venue)
    t = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    db.session.add(Blackout(facility_id=fac.id, starts_at=t, ends_at=t))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_foreign_keys_are_enforced(ctx):
    db.session.add(Organization(name="orphan", kind="enterprise", parent_id=999999))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_instants_come_back_aware_utc(ctx):
    host = f.org("Host")
    stored = db.session.get(Organization, host.id)
    db.session.expire_all()
    stored = db.session.get(Organization, host.id)
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset().total_seconds() == 0
