"""kill -9 of a real gunicorn worker right after a booking commits, before it answers (issue 10).

The client sees the connection drop. Its retry with the same Idempotency-Key, answered by the
worker gunicorn starts in the dead one's place, returns 201 with the booking that was committed.
The control retries without a key: today's answer, 409 `overlap` ("you already have a booking"),
which a worker reads as a failed booking. And a worker killed before its booking commits leaves
a claim with no outcome: once the claim's lease is over (0 s on this server) the retry books.
SQLite and PostgreSQL.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from booking import timeutil
from booking.accounts.services import issue_token
from booking.extensions import db
from booking.reservations.models import Reservation
from tests import factories as f

pytestmark = pytest.mark.race
ROOT = Path(__file__).resolve().parents[2]
TZ = "Asia/Shanghai"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with one sync worker, serving tests/races/crash_app.py, in its own process group."""

    def __init__(self, db_url: str, tmp: Path, when: str = "after_commit", lease: float = 60):
        self.port = free_port()
        self.marker = tmp / "killed"
        env = {
            **os.environ,
            "CRASH_DB_URL": db_url,
            "CRASH_MARKER": str(self.marker),
            "CRASH_QR_DIR": str(tmp / "qr"),
            "CRASH_WHEN": when,
            "CRASH_LEASE_SECONDS": str(lease),
        }
        self.log = open(tmp / "gunicorn.log", "w")
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "60",
                "--error-logfile",
                "-",
                "tests.races.crash_app:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while self.request("GET", "/healthz", None, {})[0] != 200:
            assert self.proc.poll() is None and time.monotonic() < deadline, (tmp / "gunicorn.log").read_text()
            time.sleep(0.2)

    def request(self, method, path, body, headers):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()
        except (OSError, http.client.HTTPException) as err:  # the connection dropped: no answer at all
            return None, repr(err).encode()

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)
        self.log.close()


@pytest.fixture
def booking(ctx):
    host, ent = f.org("Host"), f.org("Ent")
    gym = f.facility(f.venue(host), "Gym", kind="gym", capacity=20)
    f.agreement(host, ent)
    f.user("player", ent)
    token = issue_token("player", f.PASSWORD)
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    body = {"facility_id": gym.id, "start": timeutil.isoformat_local(timeutil.local_to_utc(day, 19 * 60, TZ), TZ)}
    db.session.remove()
    db.engine.dispose()
    return token, body


@pytest.fixture
def server(db_url, tmp_path):
    s = Server(db_url, tmp_path)
    yield s
    s.stop()


def committed() -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(select(Reservation.id)))


@pytest.mark.parametrize("send_key", [True, False], ids=["retry-with-key", "control-without-key"])
def test_a_booking_committed_by_a_killed_worker_is_found_by_the_retry(server, booking, send_key):
    token, body = booking
    headers = {"Authorization": f"Bearer {token}"}
    if send_key:
        headers["Idempotency-Key"] = "phone-7f3a"
    status, _ = server.request("POST", "/api/v1/reservations", body, headers)
    assert status is None and server.marker.exists()  # killed after the commit: no answer came back
    (booking_id,) = committed()  # ...yet the booking is in the database
    status, answer = server.request("POST", "/api/v1/reservations", body, headers)
    if send_key:
        assert status == 201 and json.loads(answer)["id"] == booking_id
        again = server.request("POST", "/api/v1/reservations", body, headers)
        assert again == (201, answer)
    else:
        assert status == 409 and json.loads(answer)["error"]["code"] == "overlap"
    assert committed() == [booking_id]
    assert db.session.scalar(select(func.count(Reservation.id))) == 1


def test_a_worker_killed_before_its_booking_commits_is_run_again_by_the_retry(db_url, booking, tmp_path):
    token, body = booking
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "phone-9c1d"}
    server = Server(db_url, tmp_path, when="before_commit", lease=0)
    try:
        status, _ = server.request("POST", "/api/v1/reservations", body, headers)
        assert status is None and server.marker.exists()
        assert committed() == []  # it died inside the transaction: nothing was booked
        status, answer = server.request("POST", "/api/v1/reservations", body, headers)
        assert status == 201
        assert committed() == [json.loads(answer)["id"]]
    finally:
        server.stop()
