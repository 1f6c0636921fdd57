"""The sign-in limit is exact across real app servers: two gunicorn masters with two workers each
on one database, hit at once on both sign-in endpoints with different spellings of one phone.

The limit is per day here so that no window boundary falls inside the run (windows are fixed)."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
LIMIT = 10
ATTEMPTS = 32
SPELLINGS = ["13812345678", "138 1234 5678", "138-1234-5678", "１３８１２３４５６７８", "+86 138-1234-5678"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master (own process group) serving wsgi:app on a loopback port."""

    def __init__(self, db_url: str, log: Path):
        self.url = f"http://127.0.0.1:{_free_port()}"
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "SECRET_KEY": "s" * 64,
            "LOGIN_LIMIT_PER_USERNAME": f"{LIMIT}/day",
            "LOGIN_LIMIT_PER_ADDRESS": "1000/minute",
        }
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [
                str(GUNICORN),
                "--bind",
                self.url.removeprefix("http://"),
                "--workers",
                "2",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        self.log.close()


def _api_attempt(server: str, username: str) -> int:
    body = json.dumps({"username": username, "password": "wrong-password"}).encode()
    req = urllib.request.Request(server + "/api/v1/auth/token", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _web_attempt(server: str, identifier: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(server + "/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"identifier": identifier, "password": "wrong-password", "csrf_token": token}
    ).encode()
    try:
        with opener.open(server + "/login", data=data, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture
def servers(db_url, ctx, tmp_path):
    f.user("worker", f.org("海顺模具"), phone="13812345678")
    started = []
    try:
        for i in range(2):
            started.append(Server(db_url, tmp_path / f"gunicorn-{i}.log"))
        yield [s.url for s in started]
    finally:
        for s in started:
            s.stop()


def test_two_servers_and_both_endpoints_share_one_exact_count(servers):
    results: list[int] = []
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(i: int):
        server, spelling = servers[i % 2], SPELLINGS[i % len(SPELLINGS)]
        barrier.wait(timeout=60)
        status = _api_attempt(server, spelling) if i % 4 < 2 else _web_attempt(server, spelling)
        results.append(status)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == ATTEMPTS
    assert results.count(401) == LIMIT, results  # exactly the limit got to try a password
    assert results.count(429) == ATTEMPTS - LIMIT, results
