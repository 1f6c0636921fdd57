"""Engine set-up and the transaction helper that every write use case starts with."""

import fcntl
import os
import threading
import time
from contextlib import contextmanager

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .errors import DomainError
from .extensions import db

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


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
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
    close_read_connection()  # one connection at a time: the write's own, from here on
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
    it costs more than a simple query). Otherwise: a pooled connection of the request's own,
    outside the ORM session (no session is made for a read that needs none), checked out once
    and given back when the request ends (close_read_connection) or a write begins
    (begin_write). It runs each statement on its own, reading committed data: no BEGIN (nor
    ROLLBACK at the end), which on PostgreSQL saves two round trips.
    """
    registry = db.session.registry
    if registry.has() and registry().in_transaction():
        conn = g.get("_db_connection")
        if conn is None or conn.closed or not conn.in_transaction():
            conn = g._db_connection = registry().connection()
        return conn
    conn = g.get("_db_read_connection")
    if conn is None:
        engine = db.engine
        conn = g._db_read_connection = engine.connect().execution_options(**_AUTOCOMMIT[engine.dialect.name])
    return conn


def close_read_connection(_exc=None) -> None:
    """Give the request's read connection (connection()) back to the pool, if it took one."""
    conn = g.pop("_db_read_connection", None)
    if conn is not None:
        conn.close()


def fetch(statement, **params):
    """Run a prebuilt Core statement on connection() (the hot paths' way: no ORM, no statement
    building per call)."""
    return connection().execute(statement, params)


class GuardedCounter:
    """A counter row (created on first use) that only grows while it stays within a limit.

    add() is one statement, atomic on both databases (same SQL on SQLite and PostgreSQL):
        INSERT ... ON CONFLICT (key) DO UPDATE SET n = n + :amount WHERE n + :amount <= :limit
        RETURNING n
    No row returned means the limit refused it. Written as text(): SQLAlchemy cannot cache the
    compiled form of its ON CONFLICT construct, and this runs three times per booking.
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
        self._limited = text(base + f" WHERE {name}.{column} + :amount <= :limit RETURNING {column}").bindparams(*binds)
        self._unlimited = text(base + f" RETURNING {column}").bindparams(*binds)

    def add(self, amount: int, limit: int | None, **key) -> bool:
        if limit is not None and amount > limit:
            return False
        params = {**key, "amount": amount}
        if limit is not None:
            params["limit"] = limit
        stmt = self._limited if limit is not None else self._unlimited
        # RETURNING says whether a row was written (rowcount is unreliable for upserts on psycopg).
        return connection().execute(stmt, params).first() is not None


# By table name: the accounts package sits above this module (booking/accounts imports it).
_LOCK_USER_PG = text("SELECT id FROM users WHERE id = :user_id FOR UPDATE")


def lock_user(user_id: int) -> None:
    """Serialize one person's write use cases (PostgreSQL: row lock; SQLite: IMMEDIATE already does)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_LOCK_USER_PG, {"user_id": user_id})
