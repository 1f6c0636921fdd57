"""The hot reads' statements and the connection they run on, on both databases."""

from dataclasses import asdict
from datetime import timedelta

import pytest

from booking.api.facilities import _CALLER_DAY_WITH_LINES, _DAY_WITH_LINES
from booking.database import begin_write, close_read_connection, connection, fetch
from booking.extensions import db
from booking.reservations import services
from tests import factories as f
from tests import world as w


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False, hours=3, per_worker=2)


def test_the_availability_read_statement_runs_on_both_databases(world):
    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    rows = fetch(
        _DAY_WITH_LINES, facility_id=world.court.id, start=w.SLOT - timedelta(hours=1), end=w.SLOT + timedelta(hours=1)
    ).all()
    assert [(r.kind, r.a, r.n) for r in rows] == [("h", w.SLOT, 1)]


def test_the_caller_and_the_day_are_one_statement_split_as_each_alone(world):
    """accounts.principal.with_caller: one UNION ALL whose rows split into the caller (as
    principal_for_digest reads it) and the day's rows (as the day's own statement reads them)."""
    from booking import timeutil
    from booking.accounts import services as accounts
    from booking.accounts.principal import principal_and_rows, principal_for_digest
    from booking.waitlist import services as waitlist

    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    waitlist.join(world.worker2, world.court.id, w.SLOT, now=w.NOW)
    digest = accounts._digest(accounts.issue_token("worker2", f.PASSWORD))
    day = {"facility_id": world.court.id, "start": w.SLOT - timedelta(hours=2), "end": w.SLOT + timedelta(hours=2)}
    now = timeutil.utcnow()
    caller, rows = principal_and_rows(_CALLER_DAY_WITH_LINES, digest, now, **day)
    assert asdict(caller) == asdict(principal_for_digest(digest, now)) and caller.username == "worker2"
    assert sorted(rows) == sorted(tuple(r) for r in fetch(_DAY_WITH_LINES, **day))
    assert sorted((r[0], r[1]) for r in rows) == [("h", w.SLOT), ("waiting", w.SLOT)]
    assert principal_and_rows(_CALLER_DAY_WITH_LINES, "0" * 64, now, **day) == (None, rows)


def test_a_read_outside_a_transaction_has_a_connection_of_its_own_kept_across_requests(world):
    db.session.remove()
    conn = connection()
    assert not db.session.registry.has()  # no ORM session made for a read
    assert connection() is conn
    begin_write()
    assert connection() is db.session.connection() is not conn  # the write's own
    db.session.rollback()
    assert connection() is conn and not conn.closed and not db.session().in_transaction()
    close_read_connection()  # the request ends: the thread keeps it for the next one
    assert connection() is conn and not conn.closed


def test_the_kept_read_connection_goes_back_when_its_thread_ends_or_its_engine_is_disposed(world, app):
    import threading

    from booking.database import _held_read

    engine = db.engine
    pool_before = engine.pool.checkedout()
    seen = []

    def in_a_thread():
        seen.append(_held_read(engine))
        assert engine.pool.checkedout() == pool_before + 1

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    import gc

    gc.collect()
    assert seen[0].closed and engine.pool.checkedout() == pool_before  # back in the pool
    conn = connection()
    engine.dispose()
    assert conn.closed
    assert connection() is not conn  # a new one, on the engine's new pool


def test_the_day_read_follows_a_change_of_slot_length_at_once(world):
    """The day's slots are kept per rules object (reservations.availability._day_slots): a
    change of the facility's settings gives new rules, so the next read lays the new grid."""
    from booking.admin import services as admin
    from booking.reservations.availability import availability

    host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    day = w.SLOT.date()
    _, before = availability(world.worker, world.court.id, day, w.NOW)
    _, again = availability(world.worker, world.court.id, day, w.NOW)
    assert again == before and {s["end"] - s["start"] for s in before} == {timedelta(minutes=60)}
    assert admin.change_facility(host_admin, world.court.id, {"slot_minutes": 30}, now=w.NOW).applied
    _, after = availability(world.worker, world.court.id, day, w.NOW)
    assert {s["end"] - s["start"] for s in after} == {timedelta(minutes=30)}
    assert len(after) == 2 * len(before)


def _hot_statements(world) -> list[tuple[str, object, dict]]:
    """The prepared statements of the hot paths, with parameters that find rows."""
    from booking.accounts import services as accounts
    from booking.accounts.principal import TOKEN_USER
    from booking.facilities.services import _BLACKOUTS
    from booking.facilities.snapshot import FACILITY
    from booking.notifications.services import _FOR_NOTIFY
    from booking.quotas.limits import _CANDIDATES
    from booking.quotas.no_shows import _SUSPENSIONS
    from booking.reservations.availability import DAY_STATE
    from booking.reservations.booking import _CLASH, _CLASH_AND_SETTINGS, _RULES_VERSION

    token = accounts.issue_token("worker", f.PASSWORD)
    day = {"facility_id": world.court.id, "start": w.SLOT - timedelta(hours=2), "end": w.SLOT + timedelta(hours=2)}
    return [
        ("caller", TOKEN_USER, {"digest": accounts._digest(token)}),
        ("caller with the day", _CALLER_DAY_WITH_LINES, {"digest": accounts._digest(token), **day}),
        ("day state", DAY_STATE, day),
        ("day state with lines", _DAY_WITH_LINES, day),
        ("blackouts", _BLACKOUTS, day),
        ("facility", FACILITY, {"facility_id": world.court.id}),
        ("agreements", _CANDIDATES, {"enterprise_id": world.ent.id, "host_id": world.host.id}),
        ("suspensions", _SUSPENSIONS, {"user_id": world.worker.id, "host_id": world.host.id}),
        ("notify", _FOR_NOTIFY, {"user_id": world.worker.id}),
        (
            "clash",
            _CLASH,
            {"user_id": world.worker.id, "start": w.SLOT, "end": w.SLOT + timedelta(hours=1), "earliest": w.NOW},
        ),
        (
            "clash and settings",
            _CLASH_AND_SETTINGS,
            {"user_id": world.worker.id, "start": w.SLOT, "end": w.SLOT + timedelta(hours=1), "earliest": w.NOW},
        ),
        ("rules version", _RULES_VERSION, {"facility_id": world.court.id}),
    ]


def test_prepared_statements_return_the_rows_sqlalchemy_returns(world):
    """fetch() runs the hot statements on the driver's cursor (database.Prepared): same rows,
    same column names, same Python values (UTC datetimes, dates, booleans) as SQLAlchemy's own
    execution of the same statement, on both databases."""
    from booking.database import Prepared
    from booking.facilities.models import Blackout
    from booking.quotas.models import Suspension

    services.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    db.session.add(
        Blackout(facility_id=world.court.id, starts_at=w.SLOT + timedelta(hours=1), ends_at=w.SLOT + timedelta(hours=2))
    )
    db.session.add(
        Suspension(
            user_id=world.worker.id,
            host_id=world.host.id,
            starts_at=w.NOW - timedelta(days=9),
            ends_at=w.NOW - timedelta(days=2),
        )
    )
    db.session.commit()
    found = 0
    for name, statement, params in _hot_statements(world):
        assert Prepared.of(statement, db.engine.dialect) is not None, name
        rows = fetch(statement, **params).all()
        expected = db.session.execute(statement, params)
        keys = list(expected.keys())
        expected = [tuple(r) for r in expected]
        assert [tuple(r) for r in rows] == expected, name
        assert [[type(v) for v in r] for r in rows] == [[type(v) for v in r] for r in expected], name
        for row in rows:
            assert list(row._fields) == keys and list(row._mapping) == keys, name
        found += bool(rows)
    assert found == 12  # every statement found rows: the comparison compared something


def test_a_statement_rendered_per_call_runs_through_sqlalchemy(world):
    from booking.database import Prepared
    from booking.reservations.availability import _UNCLAIMED

    assert Prepared.of(_UNCLAIMED, db.engine.dialect) is None  # its IN (...) grows with the list
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    rows = fetch(_UNCLAIMED, facility_id=world.gym.id, starts=[w.SLOT, w.SLOT + timedelta(hours=1)]).all()
    assert [tuple(r) for r in rows] == [(w.SLOT, 1)]


def test_prepared_statements_run_the_engines_cursor_events(world):
    from sqlalchemy import event

    from booking.accounts.principal import TOKEN_USER

    seen = []

    def before(conn, _cursor, statement, parameters, _context, executemany):
        seen.append((conn, statement, executemany))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        fetch(TOKEN_USER, digest="0" * 64).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert len(seen) == 1 and seen[0][0] is connection() and "FROM api_tokens" in seen[0][1]


def test_a_driver_error_reaches_callers_as_sqlalchemys(world):
    from sqlalchemy import column, select, table
    from sqlalchemy.exc import DBAPIError

    from booking.accounts.principal import TOKEN_USER

    with pytest.raises(DBAPIError) as raised:
        fetch(select(column("x")).select_from(table("no_such_table"))).all()
    assert "no_such_table" in str(raised.value) and not raised.value.connection_invalidated
    assert fetch(TOKEN_USER, digest="0" * 64).all() == []  # the connection still serves


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_read_whose_connection_was_dropped_runs_again_on_a_new_one(world, db_url):
    """PostgreSQL restarted, or the connection killed: the kept read connection is dead. The
    read that finds it so is run again on a new connection; the caller sees only the answer."""
    from sqlalchemy import create_engine, func, select, text

    from booking.accounts.principal import TOKEN_USER

    pid = fetch(select(func.pg_backend_pid().label("pid"))).scalar()
    dropped = connection()
    other = create_engine(db_url)
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
    other.dispose()
    assert fetch(TOKEN_USER, digest="0" * 64).all() == []
    assert dropped.closed and connection() is not dropped  # given back; a new one kept
    assert fetch(select(func.pg_backend_pid().label("pid"))).scalar() != pid


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_write_transaction_whose_connection_drops_is_not_run_twice(world, db_url):
    """Inside a transaction nothing is retried: the error reaches the use case (its unit of
    work rolls back), never a statement silently run on another connection."""
    from sqlalchemy import create_engine, func, select, text
    from sqlalchemy.exc import DBAPIError

    from booking.accounts.principal import TOKEN_USER

    begin_write()
    pid = fetch(select(func.pg_backend_pid().label("pid"))).scalar()
    other = create_engine(db_url)
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
    other.dispose()
    with pytest.raises(DBAPIError) as raised:
        fetch(TOKEN_USER, digest="0" * 64).all()
    assert raised.value.connection_invalidated
    db.session.rollback()


def _kill_pooled_connection(db_url) -> None:
    """End the backend of the pool's one idle connection (as a server restart would)."""
    from sqlalchemy import create_engine, text

    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
    db.session.rollback()  # back to the pool, idle
    db.session.remove()
    other = create_engine(db_url)
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
    other.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_pooled_connection_idle_for_a_while_is_pinged_and_replaced_if_dead(world, db_url, monkeypatch):
    from sqlalchemy import text

    import booking.database

    monkeypatch.setattr(booking.database, "PING_AFTER_IDLE", 0.0)
    _kill_pooled_connection(db_url)
    assert db.session.execute(text("SELECT 1")).scalar() == 1  # the dead one was found and replaced


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_connection_just_given_back_is_not_pinged(world, db_url, monkeypatch):
    """The control: within PING_AFTER_IDLE nothing is sent before use (no round trip per
    booking), so a connection killed in that moment fails its next statement."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    import booking.database

    monkeypatch.setattr(booking.database, "PING_AFTER_IDLE", 3600.0)
    _kill_pooled_connection(db_url)
    with pytest.raises(DBAPIError) as raised:
        db.session.execute(text("SELECT 1"))
    assert raised.value.connection_invalidated
    db.session.rollback()


class Boom(Exception):
    pass


@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_statements_run_on_libpq_inside_their_transaction(world):
    """On PostgreSQL a prebuilt statement is prepared once per connection and run by libpq
    (database._LibpqStatement): on the read connection, and inside a write transaction, whose
    first statement sends the BEGIN in the same round trip; what the transaction wrote through
    libpq is rolled back with it."""
    from psycopg import pq
    from sqlalchemy import func, select, text

    from booking.accounts.principal import TOKEN_USER
    from booking.database import write_transaction
    from booking.reservations.booking import SLOT_PLACES
    from booking.reservations.models import SlotLoad

    for _ in range(3):
        assert fetch(TOKEN_USER, digest="0" * 64).all() == []
    raw, prepared, _adapters = connection().connection.info["libpq"]
    assert raw is connection().connection.dbapi_connection and len(prepared) == 1
    with pytest.raises(Boom):
        with write_transaction():
            writer = connection().connection
            raw = writer.dbapi_connection
            assert raw.pgconn.transaction_status == pq.TransactionStatus.IDLE
            assert SLOT_PLACES.add(2, 5, facility_id=world.court.id, start_at=w.SLOT)  # BEGIN with it
            assert raw.pgconn.transaction_status == pq.TransactionStatus.INTRANS
            assert raw.pgconn.pipeline_status == pq.PipelineStatus.OFF
            assert SLOT_PLACES.add(2, 5, facility_id=world.court.id, start_at=w.SLOT)  # then inside it
            assert not SLOT_PLACES.add(2, 5, facility_id=world.court.id, start_at=w.SLOT)  # 6 > 5: refused
            assert len(writer.info["libpq"][1]) == 1  # prepared once, run twice
            for _ in range(6):  # a query psycopg would prepare for itself after five runs
                db.session.execute(text("SELECT 1"))
            raise Boom
    assert db.session.scalar(select(func.count()).select_from(SlotLoad)) == 0
    db.session.rollback()
    # The rollback left the statement prepared on the server (psycopg's own DEALLOCATE ALL after
    # a rollback would have dropped it: its prepared statements are off, database._no_driver_prepares).
    assert raw.execute("SELECT name FROM pg_prepared_statements").fetchall() == [("booking_0",)]
    raw.rollback()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_begin_sent_with_a_first_statement_is_the_one_psycopg_sends(world):
    """database.begin_command builds psycopg's own BEGIN (its private _get_tx_start_command,
    compared here only) from the connection's public settings."""
    from psycopg import IsolationLevel

    from booking.database import begin_command

    raw = db.engine.raw_connection().dbapi_connection
    try:
        for level in (None, *IsolationLevel):
            for read_only in (None, True, False):
                for deferrable in (None, True, False):
                    raw.isolation_level, raw.read_only, raw.deferrable = level, read_only, deferrable
                    raw._begin_statement = b""  # psycopg keeps the one it built
                    assert begin_command(raw) == raw._get_tx_start_command(), (level, read_only, deferrable)
    finally:
        raw.close()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_first_statement_that_fails_leaves_the_connection_as_psycopgs_own_failure_would(world):
    """The first statement of a write transaction fails (here a foreign key: no such facility):
    SQLAlchemy's IntegrityError reaches the caller, the transaction rolls back, the connection
    leaves pipeline mode and serves again, and the statement prepared with it is not prepared
    twice (which the server would refuse)."""
    from psycopg import pq
    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError

    from booking.database import write_transaction
    from booking.reservations.booking import SLOT_PLACES
    from booking.reservations.models import SlotLoad

    for attempt in range(2):
        with pytest.raises(IntegrityError):
            with write_transaction():
                raw = connection().connection.dbapi_connection
                SLOT_PLACES.add(1, 5, facility_id=2**31 - 1, start_at=w.SLOT)
        assert raw.pgconn.pipeline_status == pq.PipelineStatus.OFF, attempt
        assert raw.pgconn.transaction_status == pq.TransactionStatus.IDLE, attempt
    with write_transaction():
        assert SLOT_PLACES.add(1, 5, facility_id=world.court.id, start_at=w.SLOT)
    assert db.session.scalar(select(func.count()).select_from(SlotLoad)) == 1
