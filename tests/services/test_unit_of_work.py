"""write_transaction(): the one unit of work of a write use case (SQLite and PostgreSQL)."""

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from booking.database import write_transaction
from booking.errors import Conflict
from booking.extensions import db
from booking.organizations.models import Organization


def count_elsewhere(url) -> int:
    """What another connection sees: only what was committed."""
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM organizations")).scalar()
    engine.dispose()
    return n


def test_it_commits_once_when_the_block_ends(ctx, db_url):
    with write_transaction():
        db.session.add(Organization(name="A", kind="enterprise"))
        db.session.flush()
        assert count_elsewhere(db_url) == 0  # not before the block ends
    assert count_elsewhere(db_url) == 1


def test_any_exception_rolls_everything_back(ctx, db_url):
    with pytest.raises(Conflict):
        with write_transaction():
            db.session.add(Organization(name="A", kind="enterprise"))
            db.session.flush()
            raise Conflict(code="full")
    assert count_elsewhere(db_url) == 0
    assert db.session.scalar(select(func.count(Organization.id))) == 0


def test_it_begins_the_right_way_per_database(ctx, db_url, backend):
    with write_transaction():
        db.session.add(Organization(name="A", kind="enterprise"))
        db.session.flush()
        if backend == "sqlite":
            # BEGIN IMMEDIATE: the write lock is held from the start; another writer cannot begin.
            engine = create_engine(db_url, connect_args={"timeout": 0.1, "isolation_level": None})
            with engine.connect() as other:
                with pytest.raises(OperationalError, match="locked"):
                    other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # A plain transaction: another writer goes on (row locks and guarded statements do the work).
            engine = create_engine(db_url, connect_args={"options": "-c lock_timeout=1000"})
            with engine.begin() as other:
                other.execute(
                    text(
                        "INSERT INTO organizations (name, kind, headcount, created_at) "
                        "VALUES ('B', 'enterprise', 1, now())"
                    )
                )
        engine.dispose()
    assert count_elsewhere(db_url) == (2 if backend == "postgresql" else 1)
