"""Engine set-up and the transaction helper that every write use case starts with."""
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


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

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def begin_write() -> None:
    """Start the write transaction of a use case.

    On SQLite it begins IMMEDIATE, taking the write lock up front so every check made inside
    it still holds at commit. On PostgreSQL it is a plain transaction: the guarded UPDATEs and
    row locks of the use case do the work. Any read transaction already open (e.g. the one
    that loaded the signed-in user) is ended first; it changed nothing.
    """
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() with unsaved changes in the session")
        session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def lock_row(model, pk):
    """Load a row FOR UPDATE (PostgreSQL), fresh from the database, or None.

    On SQLite there is no FOR UPDATE: the IMMEDIATE transaction already serializes writers.
    """
    from sqlalchemy import select
    stmt = select(model).where(model.id == pk).with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def insert_ignore(table, **values) -> None:
    """INSERT that does nothing when the row's unique key already exists (both databases)."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(table).values(**values).on_conflict_do_nothing())
