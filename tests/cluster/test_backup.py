"""A live backup (taken while bookings are being written) restores into a database that passes
the integrity check, on SQLite (online backup API) and PostgreSQL (pg_dump/pg_restore), and
brings the instance/ secrets back with it. The commands are the real CLI commands.
"""

import multiprocessing as mp
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import create_app, integrity, timeutil
from booking.extensions import db
from booking.reservations.models import Reservation
from tests import factories as f
from tests.conftest import make_config, migrate

pytestmark = pytest.mark.cluster
WRITERS, SLOTS = 2, 14


def _writer(url, user_id, facility_id, started):
    """One worker books the facility's slots of tomorrow one after another: a transaction each."""
    from booking.accounts.models import User
    from booking.reservations import services

    app = create_app(make_config(url))
    day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=1)
    with app.app_context():
        for n in range(SLOTS):
            user = db.session.get(User, user_id)
            services.book(user, facility_id, timeutil.local_to_utc(day, (8 + n) * 60, "Asia/Shanghai"))
            db.session.remove()
            started.set()


def flask(url, instance, *args, monkeypatch):
    """The real `flask --app wsgi ...` command, run in this process on an app for `url`."""
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    app = create_app(make_config(url))
    with app.app_context():  # this app, not the test's own (the command uses the current one)
        try:
            result = app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.output
        finally:
            db.session.remove()
            db.engine.dispose()


def reservations(url) -> int:
    app = create_app(make_config(url))
    with app.app_context():
        try:
            return db.session.scalar(select(func.count(Reservation.id)))
        finally:
            db.session.remove()
            db.engine.dispose()


def test_live_backup_restores_and_passes_integrity(backend, db_url, ctx, tmp_path, request, monkeypatch):
    host, ent = f.org("Host"), f.org("Ent")
    venue = f.venue(host)
    facilities = [f.facility(venue, f"Court {w}", opens=8 * 60, closes=22 * 60).id for w in range(WRITERS)]
    f.agreement(host, ent)
    users = [f.user(f"writer{w}", ent).id for w in range(WRITERS)]
    db.session.remove()
    db.engine.dispose()  # nothing pooled may cross the fork
    instance = tmp_path / "instance"
    (instance / "qr-keys").mkdir(parents=True)
    (instance / "secret_key").write_text("the-secret")
    (instance / "qr-keys" / "7.key").write_text("a-seed")

    fork = mp.get_context("fork")
    started = [fork.Event() for _ in range(WRITERS)]
    writers = [fork.Process(target=_writer, args=(db_url, users[w], facilities[w], started[w])) for w in range(WRITERS)]
    for p in writers:
        p.start()
    assert all(e.wait(60) for e in started)
    writing_when_backup_began = [p.is_alive() for p in writers]
    flask(db_url, instance, "backup", str(tmp_path / "backup"), monkeypatch=monkeypatch)
    for p in writers:
        p.join(120)
    assert [p.exitcode for p in writers] == [0] * WRITERS
    written = reservations(db_url)

    if backend == "sqlite":
        target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"  # a new server: no file yet
    else:
        target = request.getfixturevalue("pg_server").create_database("booking_restored")
        migrate(target)  # an existing schema: pg_restore --clean replaces it
    new_instance = tmp_path / "new-instance"
    out = flask(target, new_instance, "restore", "--yes", str(tmp_path / "backup"), monkeypatch=monkeypatch)
    assert "restored" in out
    restored = reservations(target)
    assert 0 < restored <= written, (restored, written)
    # Taken while writing (any part of the writes may be in it), or after: then all of it.
    assert any(writing_when_backup_began) or restored == written
    app = create_app(make_config(target))
    with app.app_context():
        assert integrity.check() == []
        db.session.remove()
        db.engine.dispose()
    assert (new_instance / "secret_key").read_text() == "the-secret"
    assert (new_instance / "qr-keys" / "7.key").read_text() == "a-seed"
