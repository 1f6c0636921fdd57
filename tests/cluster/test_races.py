"""Bookings raced across two app servers, through nginx and straight at the servers.

Two gunicorn servers (2 workers each) on one PostgreSQL: capacity, the enterprise's weekly
quota and the per-worker cap stay exact. The control runs the same race against two servers
whose guard is switched off from the test side (tests/cluster/unguarded.py): they overbook.
"""

from collections import Counter

import pytest
from sqlalchemy import func, select

from booking import integrity
from booking.extensions import db
from booking.reservations.models import Reservation
from tests.cluster import world
from tests.cluster.wire import api, at_once
from tests.tools.cluster import AppServer, free_port

pytestmark = pytest.mark.cluster
RACERS = 24


def rush(urls, calls):
    """calls: [(token, body)], spread over `urls` in turn, all released at once."""
    jobs = [
        lambda u=urls[i % len(urls)], t=t, b=b: api(u, "POST", "/api/v1/reservations", t, b)  # noqa: B008
        for i, (t, b) in enumerate(calls)
    ]
    return Counter((status, (payload.get("error") or {}).get("code")) for status, payload in at_once(jobs))


def holding(facility_id) -> int:
    return db.session.scalar(
        select(func.count(Reservation.id)).where(
            Reservation.facility_id == facility_id, Reservation.status.in_(("pending", "confirmed"))
        )
    )


@pytest.fixture(params=["nginx", "direct"])
def urls(request, cluster):
    return [cluster.nginx.url] if request.param == "nginx" else [a.url for a in cluster.apps]


@pytest.mark.parametrize("facility, capacity", [("court", 1), ("gym", 7)])
def test_capacity_exact_across_servers(fresh, urls, facility, capacity):
    a = world.arena(RACERS)
    body = {"facility_id": a[facility], "start": world.tomorrow_at(19 * 60)}
    outcome = rush(urls, [(t, body) for t in a["tokens"]])
    assert outcome == {(201, None): capacity, (409, "slot_full"): RACERS - capacity}, outcome
    assert holding(a[facility]) == capacity
    assert integrity.check() == []


def test_enterprise_quota_exact_across_servers(fresh, urls):
    a = world.arena(RACERS, hours=8)
    calls = [
        (t, {"facility_id": a["courts"][i % 3], "start": world.tomorrow_at((8 + i // 3) * 60)})
        for i, t in enumerate(a["tokens"])
    ]
    outcome = rush(urls, calls)
    assert outcome == {(201, None): 8, (409, "quota_exceeded"): RACERS - 8}, outcome
    assert integrity.check() == []


def test_worker_cap_exact_across_servers(fresh, urls):
    a = world.arena(1, per_worker=2)
    hours = range(7, 22)  # one worker, 15 distinct slots at once
    calls = [(a["tokens"][0], {"facility_id": a["courts"][0], "start": world.tomorrow_at(h * 60)}) for h in hours]
    outcome = rush(urls, calls)
    assert outcome == {(201, None): 2, (409, "worker_limit"): len(hours) - 2}, outcome
    assert integrity.check() == []


@pytest.fixture(scope="module")
def unguarded(cluster):
    servers = [
        AppServer(
            f"unguarded{i}",
            cluster.folder / f"unguarded{i}",
            free_port(),
            cluster.env,
            workers=1,
            wsgi="tests.cluster.unguarded:app",
        ).launch()
        for i in (1, 2)
    ]
    for s in servers:
        s.ready()
    yield [s.url for s in servers]
    for s in servers:
        s.stop(s.fast_stop)


def test_control_without_the_guard_overbooks(fresh, unguarded):
    a = world.arena(RACERS)
    body = {"facility_id": a["court"], "start": world.tomorrow_at(19 * 60)}
    outcome = rush(unguarded, [(t, body) for t in a["tokens"]])
    assert outcome[(201, None)] > 1, f"the race did not overbook without the guard: {outcome}"
    assert holding(a["court"]) == outcome[(201, None)]
