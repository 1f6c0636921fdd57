"""A change of a facility's rules racing its bookings, SQLite and PostgreSQL, real processes.

Issue 10's overbooking: an admin narrowed a court's hours while a worker booked a slot the new
hours remove; both went through, and a second worker then booked the new grid's slot over the
first booking. Here each booker process plans its booking (reads hours, blackouts, agreement)
and is then held, by a hook the test installs before the fork, until an admin process has
committed its change: the exact interleaving that broke. The guard (the facility's rules
version, compared under its lock inside the booking transaction) must make every booker
re-plan under the new rules. Each test has a control that switches the guard off from the
test side, and shows that the same schedule then lands bookings the new rules forbid.
"""

import multiprocessing as mp
import os
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import integrity, timeutil
from booking.accounts.models import User
from booking.admin import agreements, impact
from booking.admin import services as admin
from booking.database import lock_user
from booking.errors import DomainError
from booking.extensions import db
from booking.facilities.models import Facility
from booking.facilities.services import slot_rules
from booking.reservations import blackouts
from booking.reservations import booking as booking_flow
from booking.reservations import services as bookings
from booking.reservations.models import HOLDING, Reservation
from tests import factories as f
from tests.races.conftest import unserialize
from tests.races.harness import together

pytestmark = pytest.mark.race
BOOKERS = 4
TZ = "Asia/Shanghai"


def tomorrow():
    return timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)


def at(minute: int):
    return timeutil.local_to_utc(tomorrow(), minute, TZ)


def person(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def booker(username, facility_id, minute):
    """A job: the worker books the slot starting at `minute` tomorrow; (201, id) or (status, code)."""

    def job():
        try:
            r = bookings.book(person(username), facility_id, at(minute))
            return 201, r.id
        except DomainError as err:
            return err.status, err.code

    return job


@pytest.fixture
def world(ctx):
    host, ent = f.org("Host"), f.org("Ent")
    venue = f.venue(host)
    court = f.facility(venue, "Court", capacity=1, opens=6 * 60, closes=8 * 60)
    gym = f.facility(venue, "Gym", kind="gym", capacity=BOOKERS, opens=8 * 60, closes=22 * 60)
    agreement = f.agreement(host, ent)
    f.user("boss", roles=[("host_admin", host), ("host_staff", host)])
    for i in range(BOOKERS + 1):
        f.user(f"worker{i}", ent)
    ids = {"court": court.id, "gym": gym.id, "agreement": agreement.id}
    db.session.remove()
    db.engine.dispose()  # no pooled connection may cross a fork
    return ids


@pytest.fixture
def schedule(monkeypatch):
    """Hold every booker between its plan and its write transaction until the admin committed.

    Returns the admin job wrapper. Installed before the fork, so every child has it.
    """
    fork = mp.get_context("fork")
    planned, changed = fork.Barrier(BOOKERS + 1), fork.Event()
    plan, test_process = booking_flow._plan_booking, os.getpid()

    def held_plan(*args, fresh=False, **kw):
        result = plan(*args, fresh=fresh, **kw)
        if not fresh and os.getpid() != test_process:  # a booker's first plan: wait for the change
            planned.wait(timeout=60)
            assert changed.wait(timeout=60), "the admin never committed"
        return result

    monkeypatch.setattr(booking_flow, "_plan_booking", held_plan)

    def admin_job(change):
        def job():
            planned.wait(timeout=60)  # every booker has read the old rules
            try:
                return change()
            finally:
                changed.set()

        return job

    return admin_job


def rules_unguarded(plan, lock_user_id=None) -> bool:
    """_rules_still_hold() without its guard: no lock on the rules, no compare. (The worker's row,
    which book() locks in the same statement, is still locked: only the rules guard is off.)"""
    if lock_user_id is not None:
        lock_user(lock_user_id)
    return True


@pytest.fixture
def guard_off(monkeypatch):
    """The control: the booking transaction neither locks the facility's rules nor compares them."""
    monkeypatch.setattr(booking_flow, "_rules_still_hold", rules_unguarded)


def holding(facility_id):
    return list(
        db.session.scalars(
            select(Reservation).where(Reservation.facility_id == facility_id, Reservation.status.in_(HOLDING))
        )
    )


# --- opening hours: 06:00-08:00 becomes 06:30-07:30 while workers book 06:00 ----------------

NEW_HOURS = {d: [(6 * 60 + 30, 7 * 60 + 30)] for d in range(7)}


def hours_race(db_url, world, admin_job):

    def narrow():
        outcome = admin.change_facility(person("boss"), world["court"], {"hours": NEW_HOURS}, "ask")
        return outcome.applied, [h.reservation.id for h in outcome.hits]

    jobs = [booker(f"worker{i}", world["court"], 6 * 60) for i in range(BOOKERS)] + [admin_job(narrow)]
    *booked, told = together(db_url, jobs)
    # Then a second worker books the new grid's 06:30 slot.
    try:
        late = bookings.book(person(f"worker{BOOKERS}"), world["court"], at(6 * 60 + 30)).status
    except DomainError as err:
        late = err.code
    return booked, told, late


def test_hours_change_racing_bookings(db_url, world, schedule):
    booked, told, late = hours_race(db_url, world, schedule)
    assert Counter(booked) == {(409, "closed"): BOOKERS}, booked
    assert told == (True, [])
    assert late == "confirmed"
    court = db.session.get(Facility, world["court"])
    assert [(r.start_at, r.end_at) for r in holding(court.id)] == [(at(390), at(450))]
    assert [h for h in impact.hits(court.id, slot_rules(court), 1, True, timeutil.utcnow()) if h.blocking] == []
    assert integrity.check() == []


def test_control_hours_change_without_the_guard_overbooks(db_url, world, schedule, guard_off):
    booked, told, late = hours_race(db_url, world, schedule)
    assert Counter(status for status, _ in booked) == {201: 1, 409: BOOKERS - 1}, booked
    assert told == (True, []), "the admin was not told of the booking the new hours hit"
    assert late == "confirmed"
    starts = sorted(r.start_at for r in holding(world["court"]))
    assert starts == [at(360), at(390)], "two overlapping bookings on a court of one"
    assert any("overlap" in p for p in integrity.check()), integrity.check()


# --- a blackout over 19:00-20:00 while workers book 19:00 -----------------------------------


def blackout_race(db_url, world, admin_job):

    def close():
        _, hit = blackouts.create_blackout(person("boss"), world["gym"], at(19 * 60), at(20 * 60), "Repairs")
        return [r.id for r in hit]

    jobs = [booker(f"worker{i}", world["gym"], 19 * 60) for i in range(BOOKERS)] + [admin_job(close)]
    *booked, told = together(db_url, jobs)
    return booked, told


def test_blackout_racing_bookings(db_url, world, schedule):
    booked, told = blackout_race(db_url, world, schedule)
    assert Counter(booked) == {(409, "closed"): BOOKERS}, booked
    assert told == []
    assert holding(world["gym"]) == []
    assert integrity.check() == []


def test_control_blackout_without_the_guard_lets_bookings_in(db_url, world, schedule, guard_off):
    booked, told = blackout_race(db_url, world, schedule)
    assert Counter(status for status, _ in booked) == {201: BOOKERS}, booked
    inside = [r.id for r in holding(world["gym"])]
    assert len(inside) == BOOKERS and told == [], "bookings inside the blackout, none shown to the staff"


# --- the agreement ends today while workers book tomorrow -----------------------------------


def agreement_race(db_url, world, admin_job):

    def end_it():
        today = timeutil.local_date(timeutil.utcnow(), TZ)
        return str(agreements.change(person("boss"), world["agreement"], valid_until=today).valid_until)

    jobs = [booker(f"worker{i}", world["gym"], 19 * 60) for i in range(BOOKERS)] + [admin_job(end_it)]
    *booked, _ = together(db_url, jobs)
    return booked


def test_agreement_end_racing_bookings(db_url, world, schedule):
    booked = agreement_race(db_url, world, schedule)
    assert Counter(booked) == {(404, "not_found"): BOOKERS}, booked
    assert holding(world["gym"]) == []
    assert integrity.check() == []


def test_control_agreement_end_without_the_guard_lets_bookings_in(db_url, world, schedule, guard_off):
    booked = agreement_race(db_url, world, schedule)
    assert Counter(status for status, _ in booked) == {201: BOOKERS}, booked
    assert len(holding(world["gym"])) == BOOKERS, "bookings made under an agreement that had ended"


# --- the other order: a booking holds the facility's rules when the admin changes the hours ----
#
# The booker has locked the rules inside its write transaction and is held there until the
# admin committed (or for 2 s: with the guard, the admin waits for the booker's lock instead).
# The admin's change must then see the booking and ask about it, never narrow the hours under it.


@pytest.fixture
def booker_first(monkeypatch):
    fork = mp.get_context("fork")
    locked, changed = fork.Event(), fork.Event()
    test_process = os.getpid()

    def hold(rules_held: bool) -> bool:
        if os.getpid() != test_process and not locked.is_set():
            locked.set()
            changed.wait(timeout=2)  # the admin commits meanwhile, unless it waits for our lock
        return rules_held

    def admin_job(change):
        def job():
            assert locked.wait(timeout=60), "the booker never reached its transaction"
            try:
                return change()
            finally:
                changed.set()

        return job

    return hold, admin_job


def hours_race_booker_first(db_url, world, admin_job):
    def narrow():
        outcome = admin.change_facility(person("boss"), world["court"], {"hours": NEW_HOURS}, "ask")
        return outcome.applied, [h.reservation.id for h in outcome.hits]

    (status, rid), told = together(db_url, [booker("worker0", world["court"], 6 * 60), admin_job(narrow)])
    try:
        late = bookings.book(person("worker1"), world["court"], at(6 * 60 + 30)).status
    except DomainError as err:
        late = err.code
    return status, rid, told, late


def test_hours_change_waits_for_a_booking_under_way(db_url, world, booker_first, monkeypatch):
    hold, admin_job = booker_first
    still_hold = booking_flow._rules_still_hold
    monkeypatch.setattr(booking_flow, "_rules_still_hold", lambda plan, **kw: hold(still_hold(plan, **kw)))
    status, rid, told, late = hours_race_booker_first(db_url, world, admin_job)
    assert status == 201
    assert told == (False, [rid]), "the admin must be asked about the booking it would move"
    assert late == "closed"  # the hours did not change
    assert integrity.check() == []


def test_control_hours_change_without_the_lock_goes_under_a_booking(db_url, world, booker_first, monkeypatch):
    hold, admin_job = booker_first
    monkeypatch.setattr(
        booking_flow, "_rules_still_hold", lambda plan, **kw: hold(rules_unguarded(plan, **kw))
    )  # no lock, no compare
    unserialize(monkeypatch, booking_flow)  # nor SQLite's write lock taken up front
    status, rid, told, late = hours_race_booker_first(db_url, world, admin_job)
    assert status == 201
    assert told == (True, []), "the hours changed under a booking, and the admin was not told"
    assert late == "confirmed"
    assert any("overlap" in p for p in integrity.check()), integrity.check()
