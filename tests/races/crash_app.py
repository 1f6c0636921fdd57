"""Test side only: the real app under gunicorn, whose worker kills itself with SIGKILL the moment
the first booking transaction has committed, before any answer is written back (kill -9 at the
worst moment). Served by tests/races/test_idempotency_crash.py; never part of the application.
"""
import os
import signal

from sqlalchemy import event
from sqlalchemy.orm import Session

from booking import create_app
from booking.reservations.models import Reservation

app = create_app({
    "TESTING": False, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": os.environ["CRASH_DB_URL"],
    "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "QR_KEY_DIR": os.environ["CRASH_QR_DIR"],
    "BABEL_DEFAULT_LOCALE": "zh_CN", "DEFAULT_TIMEZONE": "Asia/Shanghai",
})
KILLED = os.environ["CRASH_MARKER"]  # written just before the kill: only the first booking dies


@event.listens_for(Session, "after_flush")
def _booking_written(session, _context):
    if any(isinstance(obj, Reservation) for obj in session.new):
        session.info["booking"] = True


@event.listens_for(Session, "after_commit")
def _die_once_committed(session):
    if session.info.pop("booking", False) and not os.path.exists(KILLED):
        with open(KILLED, "w"):
            pass
        os.kill(os.getpid(), signal.SIGKILL)
