"""Test side only: the real app under gunicorn, whose worker kills itself with SIGKILL in the
middle of the first booking: CRASH_WHEN=after_commit (the booking is in the database, no answer
was sent: kill -9 at the worst moment) or before_commit (the booking is written but never
committed). Served by tests/races/test_idempotency_crash.py; never part of the application.
"""

import os
import signal

from sqlalchemy import event
from sqlalchemy.orm import Session

from booking import create_app
from booking.reservations.models import Reservation

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


@event.listens_for(Session, "after_flush")
def _booking_written(session, _context):
    if any(isinstance(obj, Reservation) for obj in session.new):
        if WHEN == "before_commit":
            _die()
        session.info["booking"] = True


@event.listens_for(Session, "after_commit")
def _booking_committed(session):
    if session.info.pop("booking", False) and WHEN == "after_commit":
        _die()
