"""Engine set-up and the transaction helper that every write use case starts with."""

import fcntl
import os
import re
import threading
import time
import weakref
from collections import namedtuple
from contextlib import contextmanager

from flask import g
from flask_babel import lazy_gettext as _l
from psycopg import IsolationLevel, pq
from psycopg import errors as psycopg_errors
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import event, literal_column, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session

from .errors import DomainError
from .extensions import db

_IDLE, _INTRANS = pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS
_TUPLES_OK, _COMMAND_OK, _BAD = pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK, pq.ConnStatus.BAD
_PIPELINE_SYNC, _PIPELINE_ABORTED = pq.ExecStatus.PIPELINE_SYNC, pq.ExecStatus.PIPELINE_ABORTED
_PIPELINE_OFF = pq.PipelineStatus.OFF

# SQLite writers queue on an OS file lock before BEGIN IMMEDIATE. SQLite's own busy handler
# sleeps in growing steps (up to 100 ms) while it waits, which in a rush turns a 1 ms write
# into a long tail. We poll the lock in short steps instead (a blocking flock cannot time
# out without a signal) and give up after WRITER_LOCK_TIMEOUT with a clear `busy` error.
# The descriptor is per process and thread: a flock belongs to the open file, so a forked
# child that kept its parent's descriptor would share the parent's lock and exclude nobody.
WRITER_LOCK_TIMEOUT = 10.0
_WRITER_LOCK_STEPS = (0.0002, 0.0005, 0.001)  # then the last step, until the deadline
_writer = threading.local()


class ServerBusy(DomainError):
    status = 503
    code = "busy"
    default_message = _l("The system is busy. Please try again in a moment.")


def _forget_writer_fds() -> None:
    """In a forked child: close the parent's lock descriptors (the lock stays the parent's)."""
    for fd in getattr(_writer, "fds", {}).values():
        try:
            os.close(fd)
        except OSError:
            pass
    _writer.fds, _writer.held = {}, None


os.register_at_fork(after_in_child=_forget_writer_fds)


def _acquire_writer_lock(path: str, timeout: float | None = None) -> None:
    fds = getattr(_writer, "fds", None)
    if fds is None:
        fds = _writer.fds = {}
    fd = fds.get(path)
    if fd is None:
        fd = fds[path] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    deadline, step = None, 0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            now = time.monotonic()
            if deadline is None:
                deadline = now + (WRITER_LOCK_TIMEOUT if timeout is None else timeout)
            elif now >= deadline:
                raise ServerBusy() from None
            time.sleep(_WRITER_LOCK_STEPS[min(step, len(_WRITER_LOCK_STEPS) - 1)])
            step += 1
    _writer.held = fd


@event.listens_for(Session, "after_transaction_end")
def _release_writer_lock(_session, transaction):
    if transaction.parent is None and getattr(_writer, "held", None) is not None:
        fcntl.flock(_writer.held, fcntl.LOCK_UN)
        _writer.held = None


# PostgreSQL: a server restart leaves the pool's connections dead. One that sat in the pool for
# more than PING_AFTER_IDLE seconds is pinged as it is taken out (dead: the pool replaces it and
# tries again); one given back within that time was just used. SQLAlchemy's pool_pre_ping pinged
# on every checkout: a round trip per booking.
PING_AFTER_IDLE = 2.0


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_after_idle(dialect):
    def ping_if_idle(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the pooled connection is gone") from error

    return ping_if_idle


def _no_driver_prepares(dbapi_connection, _record) -> None:
    """The hot statements are prepared by _LibpqStatement. psycopg's own prepared statements
    (any query run five times) are off: after every rolled-back transaction psycopg sends
    DEALLOCATE ALL, which dropped ours too (and, each ORM request ending in a rollback, cost a
    round trip of its own)."""
    dbapi_connection.prepare_threshold = None


def configure_engine(engine: Engine) -> None:
    event.listen(engine, "engine_disposed", _release_held_reads)
    if engine.dialect.name != "sqlite":
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_after_idle(engine.dialect))
        event.listen(engine, "connect", _no_driver_prepares)
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn, _record):
        # We issue BEGIN ourselves (below): the sqlite3 driver's own BEGIN is DEFERRED, and a
        # deferred transaction that reads and then writes can lose a race or fail to upgrade.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    database = engine.url.database
    lock_path = f"{database}.writers" if database and database != ":memory:" else None

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "NONE":  # a read-only hot path: each statement on its own (see connection())
            return
        if mode == "IMMEDIATE" and lock_path and getattr(_writer, "held", None) is None:
            _acquire_writer_lock(lock_path)
        conn.exec_driver_sql(f"BEGIN {mode}")


def begin_write() -> None:
    """Start the write transaction of a use case.

    On SQLite it begins IMMEDIATE, taking the write lock up front so every check made inside
    it still holds at commit. On PostgreSQL it is a plain transaction: the guarded UPDATEs and
    row locks of the use case do the work. Any read transaction already open (e.g. the one
    that loaded the signed-in user) is ended first; it changed nothing.
    """
    close_read_connection()  # from here on connection() is the write's (the read one stays the thread's)
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() with unsaved changes in the session")
        session.commit()  # it only read; committing keeps the loaded objects usable
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


@contextmanager
def write_transaction():
    """One use case's unit of work: begins the write transaction (begin_write()), commits once
    when the block ends, rolls back on any exception (a DomainError included) and re-raises.

        with write_transaction():
            ...checks and changes...
    """
    begin_write()
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def lock_row(model, pk):
    """Load a row FOR UPDATE (PostgreSQL), fresh from the database, or None.

    On SQLite there is no FOR UPDATE: the IMMEDIATE transaction already serializes writers.
    """
    from sqlalchemy import select

    stmt = select(model).where(model.id == pk).with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


# SQLite: our begin hook skips BEGIN (the driver is already in autocommit mode: changing its
# isolation level per checkout would cost two PRAGMAs). PostgreSQL: the driver's autocommit.
_AUTOCOMMIT = {"sqlite": {"sqlite_begin": "NONE"}, "postgresql": {"isolation_level": "AUTOCOMMIT"}}


def connection():
    """The connection the hot paths' prebuilt statements run on.

    Inside the session's transaction (a write use case, or a request that read through the ORM):
    the session's connection, remembered for the rest of the transaction (asking the session for
    it costs more than a simple query). Otherwise: the thread's read connection (_held_read),
    outside the ORM session (no session is made for a read that needs none), kept from one
    request to the next. It runs each statement on its own, reading committed data: no BEGIN
    (nor ROLLBACK at the end), which on PostgreSQL saves two round trips.
    """
    registry = db.session.registry
    if registry.has() and registry().in_transaction():
        conn = g.get("_db_connection")
        if conn is None or conn.closed or not conn.in_transaction():
            conn = g._db_connection = registry().connection()
        return conn
    conn = g.get("_db_read_connection")
    if conn is None or conn.invalidated or conn.closed:
        conn = g._db_read_connection = _held_read(db.engine)
    return conn


def close_read_connection(_exc=None) -> None:
    """The request is over (or a write begins): the read connection stays the thread's, with no
    transaction of SQLAlchemy's left open on it (a statement run through SQLAlchemy begins one;
    in autocommit it holds nothing on the server, and ending it sends nothing)."""
    conn = g.pop("_db_read_connection", None)
    if conn is not None and not conn.closed and conn.in_transaction():
        conn.rollback()


# The read connection of each thread and engine, kept across requests: taking a connection out
# of the pool and giving it back on every request cost more than the read's own statements (and
# on PostgreSQL the pool's pre-ping added a round trip). It goes back to the pool when its thread
# ends, and is closed when its engine is disposed. A forked child leaves its parent's alone.
# A read that finds it dropped (the database restarted) is run again on a new one (fetch).
_reads = threading.local()
_held: "weakref.WeakSet[_HeldRead]" = weakref.WeakSet()
_orphans: list = []  # a parent's connections in a forked child: never used, never closed


class _HeldRead:
    __slots__ = ("conn", "__weakref__")

    def __init__(self, conn):
        self.conn = conn

    def release(self, close: bool = False) -> None:
        """Back to the pool; or, with `close`, closed for good (its engine is disposed: a
        SQLite file may be replaced next, and its last connection must checkpoint it)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                if close:
                    conn.invalidate()  # closes the driver's connection now
                conn.close()
            except Exception:  # a connection already gone: the pool forgets it
                pass

    __del__ = release  # the thread ended (threading.local dropped it)


def _held_read(engine):
    held = getattr(_reads, "by_engine", None)
    if held is None:
        held = _reads.by_engine = {}
    found = held.get(id(engine))
    if found is not None and found.conn is not None and found.conn.engine is engine:
        conn = found.conn
        if not (conn.invalidated or conn.closed):
            return conn
        found.release()
    conn = engine.connect().execution_options(**_AUTOCOMMIT[engine.dialect.name])
    held[id(engine)] = holder = _HeldRead(conn)
    _held.add(holder)
    return conn


def _release_held_reads(engine) -> None:
    """engine_disposed: close the read connections every thread holds on `engine`."""
    for holder in list(_held):
        if holder.conn is not None and holder.conn.engine is engine:
            holder.release(close=True)


def _forget_held_reads() -> None:
    """In a forked child: the parent's read connections stay the parent's (closing a copied
    PostgreSQL connection would end the parent's session)."""
    for holder in list(_held):
        if holder.conn is not None:
            _orphans.append(holder.conn)
            holder.conn = None
    _reads.by_engine = {}


os.register_at_fork(after_in_child=_forget_held_reads)


def fetch(statement, **params):
    """Run a prebuilt Core statement on connection() (the hot paths' way: no ORM, no statement
    building per call): its SQL compiled once per dialect and run on the driver's cursor
    (Prepared), or through SQLAlchemy's execution for what needs rendering per call (an
    expanding IN). A read outside a transaction whose connection turns out dropped (the
    database server restarted since) runs once more, on a new connection."""
    conn = connection()
    prepared = Prepared.of(statement, conn.dialect)

    def run(conn):
        return conn.execute(statement, params) if prepared is None else prepared.run(conn, params)

    try:
        return run(conn)
    except DBAPIError as error:
        if not error.connection_invalidated or conn is not g.get("_db_read_connection"):
            raise
    return run(connection())  # a new one: the dropped one is invalidated


def written_in(values) -> list:
    """Constant strings for an IN of a prebuilt statement, written into its SQL: a bound list
    is rendered anew on every call (an expanding IN), which Prepared cannot prepare."""
    return [literal_column("'" + value.replace("'", "''") + "'") for value in values]


class Rows(list):
    """fetch()'s answer: all the rows, read at once, with the Result methods the callers use."""

    def all(self):
        return self

    def first(self):
        return self[0] if self else None

    def scalar(self):
        return self[0][0] if self else None

    def one(self):
        if len(self) != 1:
            raise (NoResultFound if not self else MultipleResultsFound)("fetch(): expected one row")
        return self[0]


_PREPARED: dict = {}  # (id(statement), dialect name) -> (statement, Prepared or None)
_PREPARED_MAX = 1024  # prebuilt statements are module constants; a caller building them per call stays bounded


class Prepared:
    """A Core SELECT compiled once per dialect and run on the DBAPI cursor.

    SQLAlchemy's execution of an already compiled statement costs ~0.12 ms per statement here,
    six times SQLite's own work for an indexed read: the execution context, parameter and result
    set-up are rebuilt on every call. The hot statements need none of it per call: the SQL, the
    order of the parameters, their bind processors and the columns' result processors (dates
    kept as text on SQLite, UTC zones) are worked out once, from SQLAlchemy's own compiler and
    types, so the rows are the ones SQLAlchemy would return. The engine's cursor events run as
    they would; a driver error is wrapped as SQLAlchemy wraps it (a dropped connection is
    invalidated). Statements rendered per call (an expanding IN) are not prepared: None.
    """

    def __init__(self, statement, compiled, dialect):
        self.sql = compiled.string
        self.names = list(compiled.positiontup) if compiled.positional else None
        binds = compiled.binds.items()
        self.defaults = {name: bind.effective_value for name, bind in binds if not bind.required}
        self.binders = [
            (name, proc) for name, bind in binds if (proc := bind.type.dialect_impl(dialect).bind_processor(dialect))
        ]
        self.types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        base = namedtuple("Row", [column.key for column in statement.selected_columns], rename=True)  # type: ignore[misc]
        self.row = type("Row", (base,), {"__slots__": (), "_mapping": property(lambda r: dict(zip(r._fields, r)))})
        self.dialect = dialect
        self.processors: list | None = None  # from the first answer's column types, as SQLAlchemy does
        self.libpq = _LibpqStatement(self.sql) if dialect.name == "postgresql" and not compiled.positional else None

    @classmethod
    def of(cls, statement, dialect):
        key = (id(statement), dialect.name)
        found = _PREPARED.get(key)
        if found is not None and found[0] is statement:
            return found[1]
        prepared = None
        if hasattr(statement, "selected_columns"):
            compiled = statement.compile(dialect=dialect)
            rendered_per_call = compiled.post_compile_params or compiled.literal_execute_params
            if not rendered_per_call and not compiled.escaped_bind_names:
                prepared = cls(statement, compiled, dialect)
        if len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.clear()
        _PREPARED[key] = (statement, prepared)
        return prepared

    def run(self, conn, params: dict) -> Rows:
        values = {**self.defaults, **params} if self.defaults else params
        for name, proc in self.binders:
            values[name] = proc(values[name])
        raw = conn.connection.dbapi_connection
        on_libpq = self.libpq is not None and self.libpq.may_run(raw)
        args = values if on_libpq or self.names is None else [values[name] for name in self.names]
        sql, cursor = self.sql, None if on_libpq else raw.cursor()
        try:
            for listener in conn.dispatch.before_cursor_execute:
                sql, args = listener(conn, cursor, sql, args, None, False)
            if on_libpq:
                rows, types = self.libpq.run(conn.connection.info, raw, args)
            else:
                cursor.execute(sql, args)
                rows = cursor.fetchall()
                types = [described[1] for described in cursor.description or ()]
            for listener in conn.dispatch.after_cursor_execute:
                listener(conn, cursor, sql, args, None, False)
        except self.dialect.loaded_dbapi.Error as error:
            gone = self.dialect.is_disconnect(error, raw, cursor)
            if gone:
                conn.invalidate(error)
            raise DBAPIError.instance(
                sql, args, error, self.dialect.loaded_dbapi.Error, connection_invalidated=gone, dialect=self.dialect
            ) from error
        finally:
            if cursor is not None:
                cursor.close()
        if not rows:
            return Rows()
        processors = self.processors
        if processors is None:  # from the first answer's column types, as SQLAlchemy does
            processors = self.processors = [
                (i, proc)
                for i, (type_, type_code) in enumerate(zip(self.types, types))
                if (proc := type_.result_processor(self.dialect, type_code)) is not None
            ]
        make = self.row._make
        if not processors:
            return Rows(map(make, rows))
        out = Rows()
        for row in rows:
            row = list(row)
            for i, proc in processors:
                row[i] = proc(row[i])
            out.append(make(row))
        return out


_PARAM = re.compile(r"%\(([^)]+)\)s|%%")
_LIBPQ_MAX = 512  # prepared statements per connection


class _LibpqStatement:
    """A prebuilt statement run on PostgreSQL by libpq's own calls: prepared once per connection
    (for each set of parameter types, as psycopg keys its own prepared statements) and then
    executed with one PQexecPrepared. psycopg's cursor spent ~65 µs of Python per statement here,
    this ~23 µs (the values dumped and the rows loaded by psycopg's C adapters all the same).

    On a connection in autocommit (the read connection) it runs on its own; inside a transaction,
    as one more statement of it. As the first statement of a transaction it sends the BEGIN
    psycopg would send (begin_command) in the same round trip (libpq's pipeline mode): psycopg
    then finds the transaction begun, as it would after its own BEGIN, and commits or rolls it
    back as usual."""

    def __init__(self, sql: str):
        order: list[str] = []

        def number(match) -> str:
            if match.group(0) == "%%":
                return "%"
            name = match.group(1)
            if name not in order:
                order.append(name)
            return f"${order.index(name) + 1}"

        self.sql = _PARAM.sub(number, sql).encode()
        self.names = order
        self.formats = [PyFormat.TEXT] * len(order)

    @staticmethod
    def may_run(raw) -> bool:
        pgconn = raw.pgconn
        status = pgconn.transaction_status
        return status == _INTRANS or (status == _IDLE and pgconn.pipeline_status == _PIPELINE_OFF)

    def run(self, info: dict, raw, values: dict) -> tuple[list, list[int]]:
        """(rows, the columns' type OIDs) of one execution on `raw` (a psycopg connection whose
        per-connection dict is `info`: its prepared statements and adapters)."""
        state = info.get("libpq")
        if state is None or state[0] is not raw:
            state = info["libpq"] = (raw, {}, Transformer(raw))
        _raw, prepared, tx = state
        with raw.lock:
            params = tx.dump_sequence([values[name] for name in self.names], self.formats)
            key = (self.sql, tx.types)
            name = prepared.get(key)
            pgconn = raw.pgconn
            prepare = None
            if name is None:
                if len(prepared) >= _LIBPQ_MAX:  # statements built per call (not the hot ones): start over
                    _check(pgconn.exec_(b"DEALLOCATE ALL"), pgconn)
                    prepared.clear()
                name = f"booking_{len(prepared)}".encode()
                prepare = (self.sql, tx.types)
            if raw.autocommit or pgconn.transaction_status != _IDLE:
                if prepare is not None:
                    _check(pgconn.prepare(name, *prepare), pgconn)
                    prepared[key] = name
                result = _check(pgconn.exec_prepared(name, params), pgconn)
            else:
                result = _begin_and_run(pgconn, begin_command(raw), name, params, prepare, prepared, key)
            if result.status != _TUPLES_OK:
                return [], []
            tx.set_pgresult(result)
            return tx.load_rows(0, result.ntuples, tuple), [result.ftype(i) for i in range(result.nfields)]


def begin_command(raw) -> bytes:
    """The BEGIN psycopg sends to start a transaction on `raw`, from its public settings."""
    parts = [b"BEGIN"]
    if raw.isolation_level is not None:
        parts += [b"ISOLATION LEVEL", IsolationLevel(raw.isolation_level).name.replace("_", " ").encode()]
    if raw.read_only is not None:
        parts.append(b"READ ONLY" if raw.read_only else b"READ WRITE")
    if raw.deferrable is not None:
        parts.append(b"DEFERRABLE" if raw.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


def _begin_and_run(pgconn, begin: bytes, name: bytes, params, prepare, prepared: dict, key):
    """`begin`, then (`prepare`: (sql, types) to prepare it first) the prepared statement `name`,
    in one round trip: libpq's pipeline mode, left before returning. The statement's result, or
    the first error raised (a statement after a failed one is not run: the pipeline aborts it);
    a statement prepared is recorded in `prepared` even if its execution fails."""
    pgconn.enter_pipeline_mode()
    results = []
    try:
        pgconn.send_query_params(begin, None)
        if prepare is not None:
            pgconn.send_prepare(name, *prepare)
        pgconn.send_query_prepared(name, params)
        pgconn.pipeline_sync()
        while True:
            result = pgconn.get_result()
            if result is None:  # the end of one statement's results; or the connection is gone
                if pgconn.status == _BAD:
                    raise psycopg_errors.OperationalError(pgconn.get_error_message() or "the connection is lost")
                continue
            if result.status == _PIPELINE_SYNC:
                break
            results.append(result)
    finally:
        if pgconn.status != _BAD:
            pgconn.exit_pipeline_mode()
    if prepare is not None and len(results) == 3 and results[1].status == _COMMAND_OK:
        prepared[key] = name
    for result in results[:-1]:
        _check(result, pgconn)
    return _check(results[-1], pgconn)


def _check(result, pgconn):
    if result.status in (_TUPLES_OK, _COMMAND_OK):
        return result
    if pgconn.status == _BAD:
        raise psycopg_errors.OperationalError(pgconn.get_error_message() or "the connection is lost")
    raise psycopg_errors.error_from_result(result)


class GuardedCounter:
    """A counter row (created on first use) that only grows while it stays within a limit.

    add() is one statement, atomic on both databases (same SQL on SQLite and PostgreSQL):
        INSERT ... ON CONFLICT (key) DO UPDATE SET n = n + :amount WHERE n + :amount <= :limit
        RETURNING n
    No row returned means the limit refused it. Written as text() with its returned column, so
    fetch() prepares it (SQLAlchemy cannot cache the compiled form of its ON CONFLICT construct),
    and this runs three times per booking.
    """

    def __init__(self, table, key: tuple[str, ...], column: str):
        from sqlalchemy import bindparam, text

        self.key = key
        name, cols = table.name, ", ".join(key)
        binds = [bindparam(k, type_=table.c[k].type) for k in key]
        base = (
            f"INSERT INTO {name} ({cols}, {column}) VALUES ({', '.join(':' + k for k in key)}, :amount) "
            f"ON CONFLICT ({cols}) DO UPDATE SET {column} = {name}.{column} + :amount"
        )
        returned = table.c[column]
        self._limited = (
            text(base + f" WHERE {name}.{column} + :amount <= :limit RETURNING {column}")
            .bindparams(*binds)
            .columns(returned)
        )
        self._unlimited = text(base + f" RETURNING {column}").bindparams(*binds).columns(returned)

    def add(self, amount: int, limit: int | None, **key) -> bool:
        if limit is not None and amount > limit:
            return False
        params = {**key, "amount": amount}
        if limit is not None:
            params["limit"] = limit
        stmt = self._limited if limit is not None else self._unlimited
        # RETURNING says whether a row was written (rowcount is unreliable for upserts on psycopg).
        return fetch(stmt, **params).first() is not None


# By table name: the accounts package sits above this module (booking/accounts imports it).
_LOCK_USER_PG = text("SELECT id FROM users WHERE id = :user_id FOR UPDATE")


def lock_user(user_id: int) -> None:
    """Serialize one person's write use cases (PostgreSQL: row lock; SQLite: IMMEDIATE already does)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_LOCK_USER_PG, {"user_id": user_id})
