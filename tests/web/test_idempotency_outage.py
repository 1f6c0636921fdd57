"""The database goes away right after a cancellation commits (issue 10: "cancels committed and
then answered 500"). The answer is built from what the transaction already loaded, so the worker
is told the truth; the key's answer could not be stored, but its outcome committed with the
cancellation, so the retry after the outage gets the same answer. PostgreSQL: a real server
refusing connections (ALLOW_CONNECTIONS false, backends terminated).

The control switches the preloading off from the test side: the same outage then answers 500.
"""

from dataclasses import replace
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from booking import timeutil
from booking.api import idempotency as idempotency_api
from booking.extensions import db
from booking.reservations import services
from booking.reservations.models import Reservation
from tests import world as w
from tests.helpers import ApiClient

TZ = "Asia/Shanghai"


@pytest.fixture(params=["postgresql"])
def backend(request):
    return request.param


class Outage:
    """Armed, it takes the database away the moment the next cancellation has committed."""

    def __init__(self, pg_server, db_url):
        self.admin = f"postgresql://postgres@127.0.0.1:{pg_server.port}/postgres"
        self.name = db_url.rsplit("/", 1)[1]
        self.armed = self.happened = False

    def after_flush(self, session, _context):
        if any(isinstance(o, Reservation) and o.status == "cancelled" for o in session.dirty):
            session.info["cancelled"] = True

    def after_commit(self, session):
        if session.info.pop("cancelled", False) and self.armed:
            self.armed = False
            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.name,),
                )
            self.happened = True

    def end(self):
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def outage(pg_server, db_url):
    o = Outage(pg_server, db_url)
    event.listen(Session, "after_flush", o.after_flush)
    event.listen(Session, "after_commit", o.after_commit)
    yield o
    event.remove(Session, "after_flush", o.after_flush)
    event.remove(Session, "after_commit", o.after_commit)
    o.end()


@pytest.fixture
def booked(ctx):
    world = w.build()
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    r = services.book(world.worker, world.gym.id, timeutil.local_to_utc(day, 19 * 60, TZ), 1)
    db.session.remove()  # the request loads everything itself, as in production
    return r.id


def test_a_cancel_committed_as_the_database_goes_away_answers_the_truth(app, booked, outage):
    api = ApiClient(app).login("worker")
    outage.armed = True
    first = api.post(f"/api/v1/reservations/{booked}/cancel", headers={"Idempotency-Key": "c-1"})
    assert outage.happened
    assert first.status_code == 200 and first.get_json()["status"] == "cancelled"
    outage.end()
    again = api.post(f"/api/v1/reservations/{booked}/cancel", headers={"Idempotency-Key": "c-1"})
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert db.session.get(Reservation, booked).status == "cancelled"


def test_control_without_preloading_the_same_outage_answers_500(app, booked, outage, monkeypatch):
    spec = idempotency_api.OUTCOMES["api.cancel_reservation"]
    monkeypatch.setitem(idempotency_api.OUTCOMES, "api.cancel_reservation", replace(spec, preload=False))
    api = ApiClient(app).login("worker")
    outage.armed = True
    first = api.post(f"/api/v1/reservations/{booked}/cancel", headers={"Idempotency-Key": "c-1"})
    assert outage.happened and first.status_code == 500
    outage.end()
    assert db.session.get(Reservation, booked).status == "cancelled"  # it was done, the answer was lost
    again = api.post(f"/api/v1/reservations/{booked}/cancel", headers={"Idempotency-Key": "c-1"})
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"  # rebuilt from the outcome


def test_without_a_key_the_answer_is_the_truth_too(app, booked, outage):
    api = ApiClient(app).login("worker")
    outage.armed = True
    first = api.post(f"/api/v1/reservations/{booked}/cancel")
    assert outage.happened and first.status_code == 200 and first.get_json()["status"] == "cancelled"
