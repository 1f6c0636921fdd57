"""SQLite's writer lock (booking/database.py): forked processes exclude each other, and a
writer that cannot get the lock gives up with a clear `busy` error instead of freezing."""

import fcntl
import multiprocessing as mp
import os

import pytest

from booking import database
from booking.database import ServerBusy, begin_write
from booking.extensions import db
from tests import world as w


@pytest.fixture
def backend():
    """SQLite only: the lock file exists there alone (PostgreSQL writers lock rows)."""
    return "sqlite"


@pytest.fixture
def lock_path(ctx):
    return f"{db.engine.url.database}.writers"


@pytest.fixture
def short_timeout(monkeypatch):
    monkeypatch.setattr(database, "WRITER_LOCK_TIMEOUT", 0.3)


def _in_child(target, *args):
    """Run target(*args) in a forked child; returns what it put on the queue."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=lambda: out.put(target(*args)))
    proc.start()
    result = out.get(timeout=60)
    proc.join(timeout=60)
    return result


def _try_lock(path):
    try:
        database._acquire_writer_lock(path, timeout=0.3)
    except ServerBusy as err:
        return err.code
    return "acquired"


def test_forked_child_waits_for_its_parents_writer_lock(lock_path):
    database._acquire_writer_lock(lock_path)  # this process holds it, on its cached descriptor
    try:
        assert _in_child(_try_lock, lock_path) == "busy"
    finally:
        fcntl.flock(database._writer.held, fcntl.LOCK_UN)
        database._writer.held = None
    assert _in_child(_try_lock, lock_path) == "acquired"


def test_control_an_inherited_descriptor_excludes_nobody(lock_path):
    """Why the child must open its own: flock belongs to the open file, which fork shares."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)

    def lock_inherited():
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return "acquired"
        except BlockingIOError:
            return "busy"

    try:
        assert _in_child(lock_inherited) == "acquired"
    finally:
        os.close(fd)


def test_a_held_lock_times_out_with_a_busy_error(lock_path, short_timeout):
    w.build()
    db.session.commit()
    holder = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)  # another writer, stuck
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with pytest.raises(ServerBusy) as err:
            begin_write()
        assert (err.value.status, err.value.code) == (503, "busy")
        db.session.rollback()
    finally:
        os.close(holder)
    begin_write()  # free again: the next writer gets it
    db.session.rollback()


def test_the_api_answers_busy_in_the_callers_language(app, lock_path, short_timeout):
    from datetime import timedelta

    from booking import timeutil
    from tests.helpers import ApiClient

    world = w.build()
    db.session.commit()
    api = ApiClient(app).login("worker")
    day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=1)
    start = timeutil.isoformat_local(timeutil.local_to_utc(day, 19 * 60, "Asia/Shanghai"), "Asia/Shanghai")
    holder = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        zh = api.post("/api/v1/reservations", json={"facility_id": world.gym.id, "start": start})
        en = api.post(
            "/api/v1/reservations",
            json={"facility_id": world.gym.id, "start": start},
            headers={"Accept-Language": "en"},
        )
    finally:
        os.close(holder)
    assert (zh.status_code, zh.get_json()["error"]["code"]) == (503, "busy")
    assert zh.get_json()["error"]["message"] == "系统繁忙，请稍后再试。"
    assert en.get_json()["error"]["message"] == "The system is busy. Please try again in a moment."
    ok = api.post("/api/v1/reservations", json={"facility_id": world.gym.id, "start": start})
    assert ok.status_code == 201
