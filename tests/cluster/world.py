"""Small worlds for the cluster tier, built on the cluster's database from the test process."""

from datetime import timedelta

from booking import timeutil
from booking.accounts.services import issue_token
from booking.extensions import db
from tests import factories as f

TZ = "Asia/Shanghai"


def tomorrow_at(minute: int) -> str:
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    return timeutil.isoformat_local(timeutil.local_to_utc(day, minute, TZ), TZ)


def arena(workers: int, hours=None, per_worker=None) -> dict:
    """A host with a court (1 place), a gym (7), three more courts; `workers` workers with tokens."""
    host, ent = f.org("Host"), f.org("Ent")
    venue = f.venue(host)
    court = f.facility(venue, "Court", capacity=1)
    gym = f.facility(venue, "Gym", kind="gym", capacity=7)
    courts = [f.facility(venue, f"Court {i}", opens=7 * 60, closes=22 * 60) for i in range(3)]
    f.agreement(host, ent, hours=hours, per_worker=per_worker)
    staff = f.user("doorstaff", roles=[("host_staff", host)])
    tokens = []
    for i in range(workers):
        f.user(f"worker{i}", ent)
        tokens.append(issue_token(f"worker{i}", f.PASSWORD))
    ids = {
        "court": court.id,
        "gym": gym.id,
        "courts": [c.id for c in courts],
        "tokens": tokens,
        "staff": issue_token(staff.username, f.PASSWORD),
        "host": host.id,
    }
    db.session.remove()
    return ids
