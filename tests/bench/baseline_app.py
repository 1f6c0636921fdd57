"""Bench-only: the bare Flask app whose answers are `make bench`'s denominators.

GET /api/v1/facilities/<id>/availability?date=... is a bare Flask hello-world of the same
shape as the app's availability read (same path, query, headers; answers {"hello": "world"}):
the availability read is measured against it.

POST /book {"facility_id", "start", "user_id"} is the bare guarded insert, the booking
denominator: it does what a booking must do at the very least, with the same stack (Flask,
SQLAlchemy Core, same driver, same SQLite pragmas and BEGIN IMMEDIATE) but no auth, no
scoping, no quota, no ORM:

    INSERT the (facility, slot) counter row if missing
    UPDATE counter SET held = held + 1 WHERE ... AND held + 1 <= capacity
    INSERT a reservation-like row
    COMMIT

Its database is BENCH_BASELINE_URL (a file of its own next to the app's, or a database of
its own on the same PostgreSQL server). `python -m tests.bench.baseline_app URL` creates the
tables. Served by gunicorn exactly like the app: gunicorn tests.bench.baseline_app:app.
"""

import os
import sys
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    update,
)

CAPACITY = 1_000_000  # never reached: every request takes the full write path (201)

metadata = MetaData()
counters = Table(
    "bench_counters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("facility_id", Integer, nullable=False),
    Column("start_at", DateTime, nullable=False),
    Column("held", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    UniqueConstraint("facility_id", "start_at"),
)
bookings = Table(
    "bench_bookings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("facility_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("start_at", DateTime, nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", DateTime, nullable=False),
)


def make_engine(url: str):
    # The bare minimum: no connection check on checkout (the app pings only a connection that sat
    # idle in the pool for a while, which under load none does: booking.database.PING_AFTER_IDLE).
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL", "synchronous=NORMAL"):
                cur.execute("PRAGMA " + pragma)
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _insert_ignore(engine):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def create_app(url: str) -> Flask:
    app = Flask(__name__)
    engine = make_engine(url)
    insert_ignore = _insert_ignore(engine)

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.get("/api/v1/facilities/<int:facility_id>/availability")
    def hello(facility_id: int):
        return jsonify({"hello": "world"})

    @app.post("/book")
    def book():
        data = request.get_json(silent=True) or {}
        facility_id = int(data["facility_id"])
        user_id = int(data["user_id"])
        start = datetime.fromisoformat(data["start"]).astimezone(timezone.utc).replace(tzinfo=None)
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        c = counters.c
        with engine.begin() as conn:
            conn.execute(
                insert_ignore(counters)
                .values(facility_id=facility_id, start_at=start, held=0, capacity=CAPACITY)
                .on_conflict_do_nothing()
            )
            raised = conn.execute(
                update(counters)
                .where(c.facility_id == facility_id, c.start_at == start, c.held + 1 <= c.capacity)
                .values(held=c.held + 1)
            ).rowcount
            if raised != 1:
                return jsonify({"error": {"code": "slot_full", "message": "full"}}), 409
            booking_id = conn.execute(
                insert(bookings).values(
                    facility_id=facility_id, user_id=user_id, start_at=start, status="confirmed", created_at=now
                )
            ).inserted_primary_key[0]
        return jsonify({"id": booking_id, "facility_id": facility_id, "start": data["start"]}), 201

    return app


if __name__ == "__main__":  # create the tables (and, on SQLite, switch the file to WAL once, here:
    engine = make_engine(sys.argv[1])  # several workers doing it at once could find it locked)
    metadata.create_all(engine)
    engine.dispose()
else:
    _url = os.environ.get("BENCH_BASELINE_URL")
    app = create_app(_url) if _url else None
