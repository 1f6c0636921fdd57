"""A small world for reservation tests: two hosts, two enterprises, staff and workers."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from booking import timeutil
from tests import factories as f

TZ = "Asia/Shanghai"
# "Now" in these tests: Tuesday 2026-11-24 10:00 in Ningbo.
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def local(y, m, d, hh, mm=0):
    """A Ningbo wall time as aware UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=timeutil.zone(TZ)).astimezone(timezone.utc)


def in_days(n: int, hour: int = 19) -> datetime:
    """`hour`:00 in Ningbo, `n` days after today (the real today: for tests through the API or
    pages, which book against the clock), as aware UTC."""
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=n)
    return timeutil.local_to_utc(day, hour * 60, TZ)


def tomorrow_at(hour: int = 19) -> datetime:
    return in_days(1, hour)


def iso(instant: datetime) -> str:
    """An instant as the API writes it: ISO 8601 in Ningbo time."""
    return timeutil.isoformat_local(instant, TZ)


# Wednesday 19:00: inside the 7-day window, well past the minimum notice.
SLOT = local(2026, 11, 25, 19)


@dataclass
class World:
    host: object
    other_host: object
    ent: object
    other_ent: object
    court: object
    gym: object
    other_court: object
    staff: object
    other_staff: object
    worker: object
    worker2: object
    outsider: object
    admin: object
    agreement: object


def build(court_approval=True, hours=None, per_worker=None, gym_capacity=5) -> World:
    host = f.org("吉利春晓", kind="enterprise")
    other_host = f.org("灵峰中心", kind="community_centre")
    union = f.org("联合工会", kind="joint_union")
    ent = f.org("海顺模具", parent=union, invite_code="HSMJ2345")
    other_ent = f.org("精工压铸", invite_code="JGYZ2345")
    venue = f.venue(host, "春晓基地")
    court = f.facility(venue, "羽毛球场 1 号", capacity=1, requires_approval=court_approval)
    gym = f.facility(venue, "健身房", kind="gym", capacity=gym_capacity)
    other_court = f.facility(f.venue(other_host, "灵峰"), "篮球场", kind="basketball")
    agreement = f.agreement(host, ent, hours=hours, per_worker=per_worker)
    f.agreement(other_host, other_ent)
    return World(
        host=host,
        other_host=other_host,
        ent=ent,
        other_ent=other_ent,
        court=court,
        gym=gym,
        other_court=other_court,
        staff=f.user("staff", roles=[("host_staff", host)]),
        other_staff=f.user("other_staff", roles=[("host_admin", other_host)]),
        worker=f.user("worker", ent),
        worker2=f.user("worker2", ent),
        outsider=f.user("outsider", other_ent),
        admin=f.user("entadmin", ent, roles=[("enterprise_admin", ent)]),
        agreement=agreement,
    )
