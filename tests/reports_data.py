"""Bookings written straight into the reservations table, as history for the report tests.

Reports only read reservations, so the booking rules (window, quota counters) are not needed
to make past bookings of any status.
"""

import secrets
from datetime import timedelta

from booking import timeutil
from booking.extensions import db
from booking.reservations.models import Reservation

TZ = "Asia/Shanghai"


def book(facility, user, start, status="confirmed", places=1, minutes=60, enterprise=None):
    """One booking of `facility` by `user` starting at aware `start`, with `status`."""
    host_id = facility.venue.host_id
    r = Reservation(
        facility_id=facility.id,
        host_id=host_id,
        user_id=user.id,
        enterprise_id=(enterprise.id if enterprise else user.enterprise_id),
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        party_size=places,
        places=places,
        status=status,
        week_start=timeutil.week_start(timeutil.local_date(start, TZ)),
        quota_minutes=minutes,
        code=secrets.token_hex(6)[:12],
    )
    db.session.add(r)
    db.session.commit()
    return r
