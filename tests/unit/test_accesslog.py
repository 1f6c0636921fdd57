"""The access log `make run` writes (booking/accesslog.py): one short line per request."""

import re
from datetime import timedelta

from gunicorn.config import Config

from booking.accesslog import AccessLogger


class _Response:
    status = "409 CONFLICT"
    sent = 187


def test_every_request_gets_one_line_in_the_access_log_file(tmp_path):
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    log = AccessLogger(cfg)
    environ = {"REMOTE_ADDR": "10.0.0.7", "REQUEST_METHOD": "POST", "RAW_URI": "/api/v1/reservations?x=1"}
    log.access(_Response(), None, environ, timedelta(microseconds=2345))
    log.access(_Response(), None, dict(environ, REQUEST_METHOD="GET"), timedelta(seconds=1))
    lines = (tmp_path / "access.log").read_text().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        r"10\.0\.0\.7 \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "
        r'"POST /api/v1/reservations\?x=1" 409 187 2\.3ms',
        lines[0],
    ), lines[0]
    assert lines[1].endswith('"GET /api/v1/reservations?x=1" 409 187 1000.0ms')
