"""Waitlist races, real processes on SQLite and PostgreSQL.

1. N workers wait for a full slot; M bookings of it are cancelled at once: exactly M entries are
   served, none twice, the counter equals the bookings. Control: serving after the cancel's
   commit, in its own transaction, without the slot counter's lock and without the entries'
   status guard (the naive "notify the line afterwards"): the line is served more than M times
   or the counter disagrees.
2. Offers accepted at the moment they run out, while two expire-offers jobs run: each place ends
   up booked exactly once (by the offered worker or, passed on, by the next in line), never held
   twice nor lost. Control: the expiry's status guard off and no slot lock: an accepted offer is
   also expired, its place given back twice.
3. A worker joins the line of a slot at the moment its place frees: either the join sees the
   place (409 not_full) or the freeing serves the entry; never a free place with someone
   waiting. Control: the join reads the counter without its lock: the place is lost.
"""

import multiprocessing as mp
from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from booking import integrity, timeutil
from booking.accounts.models import User
from booking.errors import DomainError
from booking.extensions import db
from booking.reservations import decisions
from booking.reservations import services as reservations
from booking.reservations.models import Reservation, SlotLoad
from booking.waitlist import services as waitlist
from booking.waitlist import serving
from booking.waitlist.models import WaitlistEntry
from tests import factories as f
from tests.races.conftest import _unserialized_transaction, unserialize, without_status_guard
from tests.races.harness import together

pytestmark = pytest.mark.race
CAPACITY, WAITING, FREED = 8, 12, 5
SLOTS = 6  # race 2: one offer per slot
TZ = "Asia/Shanghai"


def tomorrow(hour=19):
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    return timeutil.local_to_utc(day, hour * 60, TZ)


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _cancel(username, reservation_id):
    try:
        reservations.cancel(_user(username), reservation_id)
        return "ok"
    except Exception as exc:  # reported: the test asserts on every result
        return repr(exc)


@pytest.fixture
def line(ctx):
    """A full gym slot (8 bookings) with 12 workers waiting (auto-book)."""
    host, ent = f.org("Host"), f.org("Ent")
    gym = f.facility(f.venue(host), "Gym", kind="gym", capacity=CAPACITY)
    f.agreement(host, ent)
    start = tomorrow()
    booked = [(f"booker{i}", reservations.book(f.user(f"booker{i}", ent), gym.id, start).id) for i in range(CAPACITY)]
    for i in range(WAITING):
        waitlist.join(f.user(f"waiter{i}", ent), gym.id, start)
    db.session.remove()
    db.engine.dispose()  # no pooled connection may cross a fork
    return {"gym": gym.id, "start": start, "cancels": booked[:FREED]}


def holding(facility_id) -> int:
    return db.session.scalar(
        select(func.count(Reservation.id)).where(
            Reservation.facility_id == facility_id, Reservation.status.in_(("pending", "confirmed"))
        )
    )


def test_m_cancels_at_once_serve_exactly_m_of_the_line(db_url, line):
    results = together(db_url, [partial(_cancel, u, rid) for u, rid in line["cancels"]])
    assert results == ["ok"] * FREED
    statuses = Counter(db.session.scalars(select(WaitlistEntry.status)))
    assert statuses == {"booked": FREED, "waiting": WAITING - FREED}, statuses
    # The first FREED in line, in order, each with exactly one booking.
    served = db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)).all()[:FREED]
    assert all(e.status == "booked" for e in served)
    per_user = Counter(
        db.session.scalars(select(Reservation.user_id).where(Reservation.status.in_(("pending", "confirmed"))))
    )
    assert max(per_user.values()) == 1
    assert holding(line["gym"]) == CAPACITY
    assert db.session.scalar(select(SlotLoad.held)) == CAPACITY
    assert integrity.check() == []


@pytest.fixture
def naive_serving(monkeypatch, counters_unguarded):
    """The control: the line served after the cancel commits, in a transaction of its own, with
    no slot counter lock and blind status changes; each server has read the line before any
    serves (held at a barrier), as concurrent servers can."""
    unserialize(monkeypatch, decisions)
    without_status_guard(monkeypatch, serving)
    c = SlotLoad.__table__.c
    monkeypatch.setattr(
        serving,
        "_slot_counter",
        lambda facility_id, start_at: (
            db.session.scalar(select(c.held).where(c.facility_id == facility_id, c.start_at == start_at)) or 0
        ),
    )
    monkeypatch.setattr(decisions, "_serve_line", lambda r, now: None)
    all_read = mp.get_context("fork").Barrier(FREED)
    serve_one = serving._serve_one

    def serve_after_all_read(entry, now):
        if not getattr(serve_after_all_read, "waited", False):
            serve_after_all_read.waited = True
            all_read.wait(timeout=60)
        return serve_one(entry, now)

    monkeypatch.setattr(serving, "_serve_one", serve_after_all_read)
    cancel = reservations.cancel

    def cancel_then_serve(user, reservation_id, now=None):
        r = cancel(user, reservation_id, now)
        with _unserialized_transaction():
            serving.serve_slot(r.facility_id, r.start_at, timeutil.utcnow())
        return r

    monkeypatch.setattr(reservations, "cancel", cancel_then_serve)


def test_control_naive_serving_serves_the_line_wrongly(db_url, line, naive_serving):
    results = together(db_url, [partial(_cancel, u, rid) for u, rid in line["cancels"]])
    assert results == ["ok"] * FREED
    booked = db.session.scalar(select(func.count(WaitlistEntry.id)).where(WaitlistEntry.status == "booked"))
    problems = integrity.check()
    assert booked != FREED or holding(line["gym"]) != CAPACITY or problems, (
        "the race did not break without the guard: the test would not catch it"
    )


# --- 2. offers accepted as they run out, while the expiry job runs ---------------------------------


def _accept(username, entry_id, now):
    try:
        waitlist.accept(_user(username), entry_id, now=now)
        return "booked"
    except DomainError as err:
        return err.code
    except Exception as exc:  # reported: the test asserts on every result
        return repr(exc)


def _expire(now):
    try:
        return waitlist.expire_offers(now)
    except Exception as exc:
        return repr(exc)


@pytest.fixture
def offers(ctx):
    """SLOTS court slots, each freed with an offer held for one worker and another waiting."""
    host, ent = f.org("Host"), f.org("Ent")
    court = f.facility(f.venue(host), "Court", capacity=1)
    f.agreement(host, ent)
    now = timeutil.utcnow()
    out = []
    for i in range(SLOTS):
        start = tomorrow(10 + i)
        first = reservations.book(f.user(f"first{i}", ent), court.id, start, now=now)
        offered = waitlist.join(f.user(f"offered{i}", ent), court.id, start, auto_book=False, now=now)
        waitlist.join(f.user(f"next{i}", ent), court.id, start, now=now)
        reservations.cancel(db.session.get(User, first.user_id), first.id, now=now)
        out.append((f"offered{i}", offered.id))
    expires = db.session.scalar(select(WaitlistEntry.offer_expires_at).where(WaitlistEntry.id == out[0][1]))
    db.session.remove()
    db.engine.dispose()
    return {"court": court.id, "offers": out, "expires": expires}


def test_offers_accepted_as_they_run_out_each_place_once(db_url, offers):
    at = offers["expires"]
    jobs = [partial(_accept, u, eid, at - timedelta(seconds=1)) for u, eid in offers["offers"]]
    jobs += [partial(_expire, at), partial(_expire, at)]
    results = together(db_url, jobs)
    assert set(results[:SLOTS]) <= {"booked", "offer_expired"}, results
    assert all(isinstance(n, int) for n in results[SLOTS:]), results
    # Each slot: exactly one booking, by the offered worker or by the next in line.
    per_slot = Counter(
        db.session.scalars(select(Reservation.start_at).where(Reservation.status.in_(("pending", "confirmed"))))
    )
    assert sorted(per_slot.values()) == [1] * SLOTS
    assert sum(1 for r in results[:SLOTS] if r == "booked") == db.session.scalar(
        select(func.count(WaitlistEntry.id)).where(WaitlistEntry.status == "booked", WaitlistEntry.auto_book.is_(False))
    )
    assert db.session.scalar(select(func.count(WaitlistEntry.id)).where(WaitlistEntry.status == "offered")) == 0
    assert db.session.scalar(select(func.sum(SlotLoad.held))) == SLOTS
    assert integrity.check() == []


@pytest.fixture
def blind_expiry(monkeypatch):
    """The control: no slot counter lock, the expiry's status guard off, SQLite without its write
    lock; the accept and the job each hold at a barrier after reading the offer."""
    unserialize(monkeypatch, waitlist)
    without_status_guard(monkeypatch, serving)
    c = SlotLoad.__table__.c
    monkeypatch.setattr(
        serving,
        "_slot_counter",
        lambda facility_id, start_at: (
            db.session.scalar(select(c.held).where(c.facility_id == facility_id, c.start_at == start_at)) or 0
        ),
    )
    both_read = mp.get_context("fork").Barrier(2)
    locked_entry, move = waitlist._locked_entry, serving._move

    def locked_then_wait(user, entry_id):
        entry = locked_entry(user, entry_id)
        both_read.wait(timeout=60)
        return entry

    def move_after_wait(entry_id, from_status, now, **values):
        if from_status == "offered" and not getattr(move_after_wait, "waited", False):
            move_after_wait.waited = True
            both_read.wait(timeout=60)
        return move(entry_id, from_status, now, **values)

    monkeypatch.setattr(waitlist, "_locked_entry", locked_then_wait)
    monkeypatch.setattr(serving, "_move", move_after_wait)


def test_control_blind_expiry_gives_an_accepted_place_back(db_url, offers, blind_expiry):
    at = offers["expires"]
    user, entry_id = offers["offers"][0]
    results = together(db_url, [partial(_accept, user, entry_id, at - timedelta(seconds=1)), partial(_expire, at)])
    # The held place is given back twice (by the accept and by the expiry): either the counter's
    # own CHECK (held >= 0) stops one of them with an error (a job that dies leaves the other
    # offers held past their time), or the counter disagrees with the bookings.
    broke = "ck_slot_loads_held" in str(results) or integrity.check() != []
    assert broke, f"the race did not break without the guard: the test would not catch it ({results})"


# --- 3. joining the line at the moment a place frees --------------------------------------------


def _join(username, facility_id, start):
    try:
        return waitlist.join(_user(username), facility_id, start).status
    except DomainError as err:
        return err.code
    except Exception as exc:  # reported: the test asserts on every result
        return repr(exc)


@pytest.fixture
def full_courts(ctx):
    """SLOTS full court slots; for each, one booker about to cancel and one worker about to join."""
    host, ent = f.org("Host"), f.org("Ent")
    court = f.facility(f.venue(host), "Court", capacity=1)
    f.agreement(host, ent)
    pairs = []
    for i in range(SLOTS):
        start = tomorrow(10 + i)
        r = reservations.book(f.user(f"holder{i}", ent), court.id, start)
        f.user(f"joiner{i}", ent)
        pairs.append((f"holder{i}", r.id, f"joiner{i}", start))
    db.session.remove()
    db.engine.dispose()
    return {"court": court.id, "pairs": pairs}


def lost_places(facility_id) -> list:
    """Slots with a place free while someone waits in line for it."""
    c = SlotLoad.__table__.c
    free = {
        row.start_at for row in db.session.execute(select(c.start_at).where(c.facility_id == facility_id, c.held < 1))
    }
    return sorted(
        {e.start_at for e in db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.status == "waiting"))} & free
    )


def test_a_join_as_a_place_frees_is_never_left_waiting(db_url, full_courts):
    jobs = []
    for holder, rid, joiner, start in full_courts["pairs"]:
        jobs += [partial(_cancel, holder, rid), partial(_join, joiner, full_courts["court"], start)]
    results = together(db_url, jobs)
    assert results[0::2] == ["ok"] * SLOTS
    assert set(results[1::2]) <= {"waiting", "not_full"}, results
    assert lost_places(full_courts["court"]) == []
    joined = results[1::2].count("waiting")
    assert db.session.scalar(select(func.count(WaitlistEntry.id)).where(WaitlistEntry.status == "booked")) == joined
    assert integrity.check() == []


@pytest.fixture
def join_without_the_lock(monkeypatch):
    """The control: the join reads the slot counter without locking it (and SQLite writes without
    the write lock); the join has read "full" before the cancel frees the place, and commits its
    entry after the cancel has looked at the (still empty) line."""
    unserialize(monkeypatch, waitlist)
    unserialize(monkeypatch, decisions)
    c = SlotLoad.__table__.c
    monkeypatch.setattr(
        serving,
        "_slot_counter",
        lambda facility_id, start_at: (
            db.session.scalar(select(c.held).where(c.facility_id == facility_id, c.start_at == start_at)) or 0
        ),
    )
    read_full, line_read = (mp.get_context("fork").Barrier(2) for _ in range(2))
    lock_user, give_back, serve_line = waitlist.lock_user, decisions.give_back, decisions._serve_line
    unserialized = waitlist.write_transaction

    def lock_user_after_read(user_id):
        read_full.wait(timeout=60)
        return lock_user(user_id)

    def give_back_after_read(r, refund_quota):
        read_full.wait(timeout=60)
        return give_back(r, refund_quota)

    def serve_then_wait(r, now):
        serve_line(r, now)
        line_read.wait(timeout=60)

    from contextlib import contextmanager

    @contextmanager
    def commit_after_line_read():
        with unserialized() as session:
            yield session
            line_read.wait(timeout=60)

    monkeypatch.setattr(waitlist, "lock_user", lock_user_after_read)
    monkeypatch.setattr(decisions, "give_back", give_back_after_read)
    monkeypatch.setattr(decisions, "_serve_line", serve_then_wait)
    monkeypatch.setattr(waitlist, "write_transaction", commit_after_line_read)


def test_control_a_join_without_the_lock_leaves_a_place_free_and_a_worker_waiting(
    db_url, full_courts, join_without_the_lock
):
    holder, rid, joiner, start = full_courts["pairs"][0]
    results = together(db_url, [partial(_cancel, holder, rid), partial(_join, joiner, full_courts["court"], start)])
    assert results == ["ok", "waiting"], results
    assert lost_places(full_courts["court"]) == [start], (
        "the race did not break without the guard: the test would not catch it"
    )
