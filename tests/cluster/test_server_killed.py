"""An app server killed (SIGKILL) in the middle of a booking rush through nginx.

Every 201 a phone got is a booking in the database, the counters still equal the bookings,
and the only failures are the requests that were on the killed server: nginx's 502 (nginx
never resends a POST that reached a server; requests not yet sent go to the other one), or no
answer at all (status 0) when the server died while nginx was passing its answer on.
The next cluster test that needs the server starts it again (tests/cluster/conftest.py).
"""

import signal
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from booking import integrity
from booking.extensions import db
from booking.reservations.models import Reservation
from tests.cluster import world
from tests.cluster.wire import api

pytestmark = pytest.mark.cluster
PHONES, EACH = 6, 10


def test_app_server_killed_mid_rush(cluster, fresh):
    a = world.arena(PHONES)
    answers, started = [], threading.Event()

    def phone(i):
        token = a["tokens"][i]
        for n in range(EACH):  # the gym has a place for each phone: successes unless the server dies
            body = {"facility_id": a["gym"], "start": world.tomorrow_at((8 + n) * 60)}
            status, payload = api(cluster.nginx.url, "POST", "/api/v1/reservations", token, body)
            answers.append((status, payload))
            if len(answers) >= PHONES:
                started.set()

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(PHONES)]
    for t in threads:
        t.start()
    assert started.wait(60)
    cluster.apps[1].send(signal.SIGKILL)  # master and workers: the whole process group
    for t in threads:
        t.join(120)
    outcome = Counter(status for status, _ in answers)
    assert set(outcome) <= {201, 502, 0}, outcome
    assert outcome[201] >= PHONES, outcome
    created = {p["id"] for s, p in answers if s == 201}
    db.session.remove()
    stored = set(db.session.scalars(select(Reservation.id).where(Reservation.status == "confirmed")))
    assert created <= stored, created - stored
    assert integrity.check() == []
