"""Oversized request lines and headers through the real server of `make run` (gunicorn with
gunicorn.conf.py): the answer under /api/ is the contract's JSON; with gunicorn's own defaults
(the control) it is gunicorn's HTML."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=["gunicorn.conf.py", "defaults"])
def server(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("server")
    port = _free_port()
    config = ["-c", "gunicorn.conf.py"] if request.param == "gunicorn.conf.py" else ["-c", "/dev/null"]
    env = {
        **os.environ,
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "QR_PRIVATE_KEYS": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *config, "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until a worker has loaded the app and answers
        try:
            if _ask(port, "/healthz", timeout=60)[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    yield request.param, port
    proc.terminate()
    proc.wait(timeout=10)


def _ask(port: int, target: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, str, bytes]:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    content_type = next(
        (
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-type:")
        ),
        "",
    )
    return status, content_type, body


@pytest.mark.parametrize("case", ["line-10k", "line-100k", "header-12k"])
def test_oversized_requests_under_api_answer_json(server, case):
    config, port = server
    if case.startswith("line"):
        size = 10_000 if case == "line-10k" else 100_000
        status, content_type, body = _ask(port, "/api/v1/facilities?x=" + "a" * size)
        expected = 414
    else:
        status, content_type, body = _ask(port, "/api/v1/facilities", {"X-Big": "a" * 12_000})
        expected = 431
    assert status == expected
    if config == "gunicorn.conf.py":
        assert content_type == "application/json"
        assert set(json.loads(body)["error"]) == {"code", "message"}
    else:  # the control: gunicorn answers by itself, in HTML
        assert content_type == "text/html"
