"""Test side only: the real app under gunicorn, whose worker kills itself with SIGKILL in the
middle of the first booking: CRASH_WHEN=after_commit (the booking is in the database, no answer
was sent: kill -9 at the worst moment) or before_commit (the booking is written but never
committed). Served by tests/races/test_idempotency_crash.py; never part of the application.
"""

import os
import signal

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from booking import create_app

app = create_app(
    {
        "TESTING": False,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": os.environ["CRASH_DB_URL"],
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "QR_KEY_DIR": os.environ["CRASH_QR_DIR"],
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "DEFAULT_TIMEZONE": "Asia/Shanghai",
        "IDEMPOTENCY_LEASE_SECONDS": float(os.environ["CRASH_LEASE_SECONDS"]),
    }
)
KILLED = os.environ["CRASH_MARKER"]  # written just before the kill: only the first booking dies
WHEN = os.environ["CRASH_WHEN"]


def _die():
    if not os.path.exists(KILLED):
        with open(KILLED, "w"):
            pass
        os.kill(os.getpid(), signal.SIGKILL)


_written = {"booking": False}


@event.listens_for(Engine, "after_cursor_execute")
def _booking_written(_conn, _cursor, statement, *_args):
    if statement.startswith("INSERT INTO reservations"):
        _written["booking"] = True


@event.listens_for(Session, "before_commit")
def _booking_not_committed(_session):
    if _written["booking"] and WHEN == "before_commit":
        _die()


@event.listens_for(Session, "after_commit")
def _booking_committed(_session):
    if _written["booking"] and WHEN == "after_commit":
        _die()
    _written["booking"] = False


@event.listens_for(Session, "after_rollback")
def _booking_rolled_back(_session):
    _written["booking"] = False
