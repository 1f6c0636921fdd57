"""The Idempotency-Key header of the API contract, on SQLite and PostgreSQL.

A retry with the same key by the same caller gets the first answer byte for byte; the same key
with another body is refused; another caller's key is another key; bad keys are refused. The
states a key can be left in by a dead process (claimed, outcome recorded, expired) are set up in
the table directly, as the crash would leave them (the real kill -9 is in tests/races).
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from booking import timeutil
from booking.extensions import db
from booking.idempotency.models import IdempotencyKey
from booking.idempotency.services import purge, request_hash
from booking.reservations import services as reservations
from booking.reservations.models import Reservation
from tests import world as w
from tests.conftest import BACKENDS
from tests.helpers import ApiClient
from tests.world import tomorrow_at

TZ = "Asia/Shanghai"


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def world(ctx):
    return w.build()


def as_user(app, username):
    return ApiClient(app).login(username)


def booking(facility, hour=19, party=1):
    return {"facility_id": facility.id, "start": timeutil.isoformat_local(tomorrow_at(hour), TZ), "party_size": party}


def key(value):
    return {"Idempotency-Key": value}


def count(model=Reservation):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_retried_booking_gets_the_first_answer_byte_for_byte(app, world):
    api = as_user(app, "worker")
    first = api.post("/api/v1/reservations", json=booking(world.gym), headers=key("book-1"))
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = api.post("/api/v1/reservations", json=booking(world.gym), headers=key("book-1"))
    assert again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.content_type == first.content_type == "application/json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count() == 1


def test_without_the_key_a_retry_is_a_second_request(app, world):
    """The control: what a lost answer does today (the worker is told they already booked)."""
    api = as_user(app, "worker")
    assert api.post("/api/v1/reservations", json=booking(world.gym)).status_code == 201
    again = api.post("/api/v1/reservations", json=booking(world.gym))
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "overlap")


def test_a_refusal_replays_as_the_same_refusal(app, world):
    other = reservations.book(world.worker2, world.court.id, tomorrow_at(), 1)
    api = as_user(app, "worker")
    first = api.post("/api/v1/reservations", json=booking(world.court), headers=key("k"))
    assert (first.status_code, first.get_json()["error"]["code"]) == (409, "slot_full")
    reservations.cancel(world.worker2, other.id)  # the slot is free now; the key's answer stands
    again = api.post("/api/v1/reservations", json=booking(world.court), headers=key("k"))
    assert again.status_code == 409 and again.get_data() == first.get_data()
    assert count() == 1
    fresh = api.post("/api/v1/reservations", json=booking(world.court), headers=key("k2"))
    assert fresh.status_code == 201


def test_the_same_key_with_another_body_is_refused(app, world):
    api = as_user(app, "worker")
    assert api.post("/api/v1/reservations", json=booking(world.gym), headers=key("k")).status_code == 201
    other = api.post("/api/v1/reservations", json=booking(world.gym, party=2), headers=key("k"))
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_mismatch" and other.get_json()["error"]["message"]
    elsewhere = api.post(f"/api/v1/reservations/{db.session.scalar(select(Reservation.id))}/cancel", headers=key("k"))
    assert elsewhere.status_code == 422  # the path is part of the request too
    assert count() == 1 and db.session.scalar(select(Reservation.status)) == "confirmed"


def test_another_caller_with_the_same_key_is_independent(app, world):
    one, two = as_user(app, "worker"), as_user(app, "worker2")
    a = one.post("/api/v1/reservations", json=booking(world.gym), headers=key("same"))
    b = two.post("/api/v1/reservations", json=booking(world.gym), headers=key("same"))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.get_json()["user"]["username"] == "worker" and b.get_json()["user"]["username"] == "worker2"
    assert count() == 2


@pytest.mark.parametrize("bad", ["", "x" * 65, "tab\there", "预约", "a\x7f"])
def test_bad_keys_are_refused_and_change_nothing(app, world, bad):
    api = as_user(app, "worker")
    r = api.post("/api/v1/reservations", json=booking(world.gym), headers=key(bad))
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert count() == 0 and count(IdempotencyKey) == 0


def test_edge_keys_are_accepted(app, world):
    api = as_user(app, "worker")
    assert api.post("/api/v1/reservations", json=booking(world.gym), headers=key("x" * 64)).status_code == 201
    assert api.post("/api/v1/reservations", json=booking(world.gym, 20), headers=key("~ !")).status_code == 201


def test_the_message_follows_the_language(app, world):
    api = as_user(app, "worker")
    zh = api.post("/api/v1/reservations", json=booking(world.gym), headers=key(""))
    en = api.post("/api/v1/reservations", json=booking(world.gym), headers={**key(""), "Accept-Language": "en"})
    assert en.get_json()["error"]["message"] == "The idempotency key must be 1 to 64 printable characters."
    assert zh.get_json()["error"]["message"] != en.get_json()["error"]["message"]


def test_reads_ignore_the_header(app, world):
    api = as_user(app, "worker")
    assert api.get("/api/v1/facilities", headers=key("")).status_code == 200


def test_cancel_approve_reject_and_scan_replay(app, world):
    worker, staff = as_user(app, "worker"), as_user(app, "staff")
    court = worker.post("/api/v1/reservations", json=booking(world.court), headers=key("b1")).get_json()
    gym = worker.post("/api/v1/reservations", json=booking(world.gym, 20), headers=key("b2")).get_json()
    for path, who in (
        (f"/api/v1/reservations/{court['id']}/approve", staff),
        (f"/api/v1/reservations/{gym['id']}/cancel", worker),
    ):
        first = who.post(path, headers=key("act"))
        again = who.post(path, headers=key("act"))
        assert first.status_code == again.status_code == 200
        assert again.get_data() == first.get_data()
    without = worker.post(f"/api/v1/reservations/{gym['id']}/cancel")
    assert (without.status_code, without.get_json()["error"]["code"]) == (409, "not_cancellable")
    statuses = dict(db.session.execute(select(Reservation.id, Reservation.status)).all())
    assert statuses == {court["id"]: "confirmed", gym["id"]: "cancelled"}


def test_sign_in_checks_the_key_but_keeps_no_token(app, world):
    api = ApiClient(app)
    body = {"username": "worker", "password": "secret123"}
    one = api.post("/api/v1/auth/token", json=body, headers=key("login"))
    two = api.post("/api/v1/auth/token", json=body, headers=key("login"))
    assert one.status_code == two.status_code == 200
    assert one.get_json()["token"] != two.get_json()["token"]
    assert count(IdempotencyKey) == 0
    assert api.post("/api/v1/auth/token", json=body, headers=key("")).status_code == 400


def test_a_malformed_body_does_not_use_up_the_key(app, world):
    api = as_user(app, "worker")
    bad = api.post("/api/v1/reservations", data="{", headers={**key("k"), "Content-Type": "application/json"})
    assert bad.status_code == 400
    good = api.post("/api/v1/reservations", json=booking(world.gym), headers=key("k"))
    assert good.status_code == 201


# --- what a dead process leaves behind --------------------------------------------------------


def _row(caller_user, key_, body: bytes, path="/api/v1/reservations", **values):
    now = timeutil.utcnow()
    row = IdempotencyKey(
        caller=f"user:{caller_user.id}",
        idem_key=key_,
        request_hash=request_hash("POST", path, body),
        created_at=now,
        claimed_at=now,
    )
    for name, value in values.items():
        setattr(row, name, value)
    db.session.add(row)
    db.session.commit()
    return row


def test_a_committed_booking_whose_answer_was_lost_is_rebuilt(app, world):
    api = as_user(app, "worker")
    payload = booking(world.gym)
    r = reservations.book(world.worker, world.gym.id, tomorrow_at(), 1)
    _row(world.worker, "lost", _encoded(app, payload), outcome=f"reservations:{r.id}")
    again = api.post("/api/v1/reservations", json=payload, headers=key("lost"))
    assert again.status_code == 201 and again.get_json()["id"] == r.id
    assert again.get_json() == api.get(f"/api/v1/reservations/{r.id}").get_json()
    third = api.post("/api/v1/reservations", json=payload, headers=key("lost"))
    assert third.get_data() == again.get_data()
    assert count() == 1


def _encoded(app, payload) -> bytes:
    """The bytes the test client sends for json=payload."""
    with app.test_request_context(json=payload):
        from flask import request

        return request.get_data()


def test_a_stale_claim_that_never_committed_runs_again(app, world):
    api = as_user(app, "worker")
    payload = booking(world.gym)
    old = timeutil.utcnow() - timedelta(minutes=5)
    _row(world.worker, "died", _encoded(app, payload), claimed_at=old)
    r = api.post("/api/v1/reservations", json=payload, headers=key("died"))
    assert r.status_code == 201 and count() == 1
    assert api.post("/api/v1/reservations", json=payload, headers=key("died")).get_data() == r.get_data()


@pytest.fixture
def app_config():
    return {"IDEMPOTENCY_WAIT_SECONDS": 0.3}


def test_a_duplicate_while_the_first_still_runs_waits_then_answers_409(app, world):
    api = as_user(app, "worker")
    payload = booking(world.gym)
    _row(world.worker, "busy", _encoded(app, payload))  # claimed just now, by a live attempt
    r = api.post("/api/v1/reservations", json=payload, headers=key("busy"))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "idempotency_in_progress"
    assert count() == 0


def test_a_key_older_than_a_day_is_a_new_key(app, world):
    api = as_user(app, "worker")
    first = api.post("/api/v1/reservations", json=booking(world.gym), headers=key("day"))
    reservations.cancel(world.worker, first.get_json()["id"])
    db.session.execute(update(IdempotencyKey).values(created_at=timeutil.utcnow() - timedelta(hours=24, seconds=1)))
    db.session.commit()
    again = api.post("/api/v1/reservations", json=booking(world.gym, party=2), headers=key("day"))
    assert again.status_code == 201 and again.get_json()["id"] != first.get_json()["id"]
    assert count() == 2 and count(IdempotencyKey) == 1


def test_purge_deletes_only_keys_older_than_a_day(app, world):
    api = as_user(app, "worker")
    api.post("/api/v1/reservations", json=booking(world.gym), headers=key("old"))
    api.post("/api/v1/reservations", json=booking(world.gym, 20), headers=key("new"))
    db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.idem_key == "old")
        .values(created_at=timeutil.utcnow() - timedelta(hours=25))
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-idempotency"])
    assert result.exit_code == 0 and "purged: 1" in result.output
    assert db.session.scalars(select(IdempotencyKey.idem_key)).all() == ["new"]
    assert purge() == 0


def test_the_openapi_document_gives_every_state_changing_call_the_header(app, world):
    doc = ApiClient(app).get("/api/v1/openapi.json").get_json()
    assert doc["components"]["parameters"]["IdempotencyKey"]["in"] == "header"
    changing = [
        (path, method, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(changing) >= 8
    for path, method, op in changing:
        assert {"$ref": "#/components/parameters/IdempotencyKey"} in op["parameters"], (path, method)
        assert {"400", "409", "422"} <= set(op["responses"]), (path, method)
    assert "parameters" not in doc["paths"]["/me"]["get"]


def test_an_attempt_overtaken_after_its_lease_cannot_commit(app, world, monkeypatch):
    """The claim is a fence: if another attempt took the key over (this one looked dead), the
    use case's transaction refuses to record its outcome, so it rolls back and books nothing."""
    from booking.idempotency import services as idem

    real_claim = idem.claim

    def claim_then_lose_it(*args):
        found = real_claim(*args)
        later = found.claimed_at + timedelta(seconds=61)
        db.session.execute(update(IdempotencyKey).where(IdempotencyKey.id == found.id).values(claimed_at=later))
        db.session.commit()
        return found

    monkeypatch.setattr(idem, "claim", claim_then_lose_it)
    api = as_user(app, "worker")
    r = api.post("/api/v1/reservations", json=booking(world.gym), headers=key("fenced"))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "idempotency_in_progress"
    assert count() == 0
