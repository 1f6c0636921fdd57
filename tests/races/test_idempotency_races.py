"""The same request sent at once by several processes with one Idempotency-Key: one booking,
and every process answers exactly what the first one answered (SQLite and PostgreSQL).

The control sends the same race without the key (the guard off, from the test side): then only
one request books and the others are told `overlap`, so the test does see the duplicates race.
"""

import multiprocessing as mp
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import integrity, timeutil
from booking.accounts.services import issue_token
from booking.extensions import db
from booking.reservations.models import Reservation
from tests import factories as f
from tests.races.harness import own_connections, racers_app

pytestmark = pytest.mark.race
RACERS = 10
TZ = "Asia/Shanghai"


def _child(app, barrier, results, token, body, headers):
    own_connections(app)
    client = app.test_client()
    client.get("/healthz")  # warm up: first connection
    try:
        barrier.wait(timeout=60)
        response = client.post(
            "/api/v1/reservations", json=body, headers={"Authorization": f"Bearer {token}", **headers}
        )
        results.put((response.status_code, response.get_data()))
    except Exception as exc:  # reported, never swallowed: the test asserts on every result
        results.put((0, repr(exc).encode()))


def race(url, token, body, headers, n=RACERS, timeout=120):
    ctx = mp.get_context("fork")
    app = racers_app(url)
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(app, barrier, results, token, body, headers)) for _ in range(n)]
    for p in procs:
        p.start()
    out = [results.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=timeout)
    return out


@pytest.fixture
def gym(ctx):
    host, ent = f.org("Host"), f.org("Ent")
    gym = f.facility(f.venue(host), "Gym", kind="gym", capacity=20)
    f.agreement(host, ent)
    f.user("player", ent)
    token = issue_token("player", f.PASSWORD)
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    body = {"facility_id": gym.id, "start": timeutil.isoformat_local(timeutil.local_to_utc(day, 19 * 60, TZ), TZ)}
    db.session.remove()
    db.engine.dispose()  # no pooled connection may cross a fork
    return token, body


def bookings() -> int:
    return db.session.scalar(select(func.count(Reservation.id)))


def test_one_key_sent_at_once_books_once_and_every_answer_is_the_first(db_url, gym):
    token, body = gym
    results = race(db_url, token, body, {"Idempotency-Key": "tap-tap-tap"})
    assert Counter(status for status, _ in results) == {201: RACERS}, results
    assert len({answer for _, answer in results}) == 1  # byte for byte the same answer
    assert bookings() == 1
    assert integrity.check() == []


def test_control_without_the_key_the_duplicates_are_refused(db_url, gym):
    token, body = gym
    results = race(db_url, token, body, {})
    assert Counter(status for status, _ in results) == {201: 1, 409: RACERS - 1}, results
    assert all(b'"overlap"' in answer for status, answer in results if status == 409)
    assert bookings() == 1


# --- the web form: two taps reach two processes at once -------------------------------------


def _form_child(app, barrier, results, cookie, form):
    own_connections(app)
    client = app.test_client()
    client.get("/healthz")
    client.set_cookie("session", cookie)
    try:
        barrier.wait(timeout=60)
        response = client.post("/bookings/new", data=form)
        results.put((response.status_code, response.headers.get("Location")))
    except Exception as exc:
        results.put((0, repr(exc)))


@pytest.mark.parametrize("with_key", [True, False], ids=["form-with-key", "control-without-key"])
def test_a_double_tap_reaching_two_processes_books_once(app, db_url, gym, with_key):
    import re

    from tests.helpers import WebClient

    _token, body = gym
    web = WebClient(app)
    assert web.login("player").status_code == 302
    page = web.get(f"/bookings/new?facility_id={body['facility_id']}&start={body['start'].replace('+', '%2B')}")
    form = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.get_data(as_text=True)))
    form.setdefault("party_size", "1")
    assert form["idempotency_key"]
    if not with_key:
        del form["idempotency_key"]
    cookie = web.http._client.get_cookie("session").value
    db.session.remove()
    db.engine.dispose()
    ctx = mp.get_context("fork")
    racers = racers_app(db_url)
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_form_child, args=(racers, barrier, results, cookie, form)) for _ in range(2)]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=120)
    assert bookings() == 1
    booking_id = db.session.scalar(select(Reservation.id))
    if with_key:
        assert out == [(302, f"/bookings/{booking_id}")] * 2, out
    else:  # what issue 15 saw: the second tap is told "you already have a booking at that time"
        assert sorted(status for status, _ in out) == [302, 409], out
