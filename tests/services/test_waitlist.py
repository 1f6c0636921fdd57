"""The waitlist use cases on a real database (SQLite and PostgreSQL): join, serve, offer, accept."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import integrity
from booking.errors import Conflict, Forbidden, NotFound
from booking.extensions import db
from booking.reservations import services as reservations
from booking.reservations.models import Notification, Reservation, SlotLoad
from booking.waitlist import services
from booking.waitlist.models import WaitlistEntry
from tests import factories as f
from tests import world as w


@pytest.fixture
def world(ctx):
    return w.build(court_approval=False)


def held(facility, start=w.SLOT):
    db.session.expire_all()
    return (
        db.session.scalar(select(SlotLoad.held).where(SlotLoad.facility_id == facility.id, SlotLoad.start_at == start))
        or 0
    )


def entry(entry_id) -> WaitlistEntry:
    db.session.expire_all()
    return db.session.get(WaitlistEntry, entry_id)


def refused(fn, *args, **kw) -> str:
    with pytest.raises((Conflict, NotFound, Forbidden)) as err:
        fn(*args, **kw)
    return err.value.code


def test_join_a_full_slot_and_the_freed_place_is_booked(world):
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = services.join(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert (e.status, e.places, e.auto_book, services.position(e)) == ("waiting", 1, True, 1)
    e2 = services.join(world.worker2, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    assert services.position(entry(e2.id)) == 2
    reservations.cancel(world.admin, first.id, now=w.NOW)
    served = entry(e.id)
    assert served.status == "booked"
    r = db.session.get(Reservation, served.reservation_id)
    assert (r.user_id, r.status, r.start_at) == (world.worker.id, "confirmed", w.SLOT)
    assert held(world.court) == 1
    assert entry(e2.id).status == "waiting" and services.position(entry(e2.id)) == 1
    kinds = [n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == world.worker.id))]
    assert kinds == ["waitlist_booked"]
    assert integrity.check(now=w.NOW) == []


def test_join_refusals(world):
    assert refused(services.join, world.worker, world.court.id, w.SLOT, now=w.NOW) == "not_full"
    reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    services.join(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert refused(services.join, world.worker, world.court.id, w.SLOT, now=w.NOW) == "already_waiting"
    assert refused(services.join, world.admin, world.court.id, w.SLOT, now=w.NOW) == "overlap"
    assert refused(services.join, world.outsider, world.court.id, w.SLOT, now=w.NOW) == "not_found"
    assert refused(services.join, world.staff, world.court.id, w.SLOT, now=w.NOW) == "not_a_worker"
    assert (
        refused(services.join, world.worker2, world.court.id, w.SLOT + timedelta(days=30), now=w.NOW)
        == "outside_window"
    )
    assert (
        refused(services.join, world.worker2, world.court.id, w.SLOT.replace(hour=20, minute=30), now=w.NOW) == "closed"
    )
    assert db.session.scalar(select(WaitlistEntry.id).where(WaitlistEntry.user_id == world.worker2.id)) is None


def test_join_refused_for_quota_and_cap_like_a_booking(ctx):
    world = w.build(court_approval=False, per_worker=1)
    reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    reservations.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)
    assert refused(services.join, world.worker, world.court.id, w.SLOT, now=w.NOW) == "worker_limit"


def test_a_worker_who_can_no_longer_book_is_skipped_with_the_reason(ctx):
    world = w.build(court_approval=False, per_worker=1)
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = services.join(world.worker, world.court.id, w.SLOT, now=w.NOW)
    e2 = services.join(world.worker2, world.court.id, w.SLOT, now=w.NOW)
    reservations.book(world.worker, world.gym.id, w.SLOT + timedelta(hours=2), now=w.NOW)  # uses the cap
    reservations.cancel(world.admin, first.id, now=w.NOW)
    assert (entry(e.id).status, entry(e.id).reason) == ("skipped", "worker_limit")
    assert entry(e2.id).status == "booked"
    assert integrity.check(now=w.NOW) == []


def test_offer_holds_the_place_then_accept_books_it(world):
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = services.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    offered = entry(e.id)
    assert offered.status == "offered"
    assert offered.offer_expires_at == w.NOW + timedelta(minutes=15)
    assert held(world.court) == 1  # held for the offer: nobody else takes it
    assert refused(reservations.book, world.worker2, world.court.id, w.SLOT, now=w.NOW) == "slot_full"
    assert integrity.check(now=w.NOW) == []
    r = services.accept(world.worker, e.id, now=w.NOW + timedelta(minutes=5))
    assert (r.user_id, r.status) == (world.worker.id, "confirmed")
    assert (entry(e.id).status, entry(e.id).reservation_id) == ("booked", r.id)
    assert held(world.court) == 1
    assert refused(services.accept, world.worker, e.id, now=w.NOW) == "not_offered"
    assert integrity.check(now=w.NOW) == []


def test_an_offer_that_runs_out_passes_to_the_next(world):
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = services.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    e2 = services.join(world.worker2, world.court.id, w.SLOT, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    later = w.NOW + timedelta(minutes=16)
    assert refused(services.accept, world.worker, e.id, now=later) == "offer_expired"
    assert entry(e.id).status == "expired"
    assert entry(e2.id).status == "booked"
    assert held(world.court) == 1
    assert refused(services.accept, world.worker, e.id, now=later) == "offer_expired"
    assert integrity.check(now=w.NOW) == []


def test_expire_offers_job_passes_on_and_lines_end_when_the_slot_starts(world):
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = services.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    e2 = services.join(world.worker2, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    assert services.expire_offers(w.NOW + timedelta(minutes=14)) == 0
    assert services.expire_offers(w.NOW + timedelta(minutes=15)) == 1
    assert (entry(e.id).status, entry(e2.id).status) == ("expired", "offered")
    assert held(world.court) == 1
    services.expire_offers(w.SLOT)
    assert entry(e2.id).status == "expired"
    assert held(world.court) == 0
    assert integrity.check(now=w.NOW) == []


def test_offer_never_runs_past_the_booking_cutoff(world):
    host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    services.set_offer_minutes(host_admin, world.host.id, 60)
    start = w.local(2026, 11, 24, 11)  # in an hour; bookings close 30 min before
    first = reservations.book(world.admin, world.court.id, start, now=w.NOW)
    e = services.join(world.worker, world.court.id, start, auto_book=False, now=w.NOW)
    reservations.host_cancel(world.staff, first.id, "lights broken", now=w.NOW)
    assert entry(e.id).offer_expires_at == start - timedelta(minutes=30)
    assert refused(services.set_offer_minutes, world.staff, world.host.id, 10) == "forbidden"


def test_decline_passes_the_offer_on_and_leaving_the_line(world):
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = services.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    e2 = services.join(world.worker2, world.court.id, w.SLOT, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    assert services.cancel(world.worker, e.id, now=w.NOW).status == "cancelled"
    assert entry(e2.id).status == "booked"
    assert refused(services.cancel, world.worker, e.id, now=w.NOW) == "not_waiting"
    assert refused(services.cancel, world.worker2, e.id, now=w.NOW) == "not_found"
    assert integrity.check(now=w.NOW) == []


def test_staff_reject_and_host_cancel_serve_the_line(ctx):
    world = w.build(court_approval=True)
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    e = services.join(world.worker, world.court.id, w.SLOT, now=w.NOW)
    reservations.decide(world.staff, first.id, approve=False, reason="full", now=w.NOW)
    served = entry(e.id)
    assert served.status == "booked"
    assert db.session.get(Reservation, served.reservation_id).status == "pending"  # as the facility says
    e2 = services.join(world.worker2, world.court.id, w.SLOT, now=w.NOW)
    reservations.host_cancel(world.staff, served.reservation_id, "maintenance", now=w.NOW)
    assert entry(e2.id).status == "booked"
    assert integrity.check(now=w.NOW) == []


def test_capacity_raised_serves_the_lines(world):
    from booking.admin import services as admin

    host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    gym_slot = w.SLOT
    for i in range(5):
        reservations.book(f.user(f"gymgoer{i}", world.ent), world.gym.id, gym_slot, now=w.NOW)
    e = services.join(world.worker, world.gym.id, gym_slot, party_size=2, now=w.NOW)
    e2 = services.join(world.worker2, world.gym.id, gym_slot, now=w.NOW)
    admin.change_facility(host_admin, world.gym.id, {"capacity": 6}, now=w.NOW)
    assert (entry(e.id).status, entry(e2.id).status) == ("waiting", "booked")  # the party of 2 does not fit
    admin.change_facility(host_admin, world.gym.id, {"capacity": 8}, now=w.NOW)
    assert entry(e.id).status == "booked"
    assert held(world.gym) == 8
    assert integrity.check(now=w.NOW) == []


def test_list_newest_first_and_only_mine(world):
    reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    reservations.book(world.admin, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    a = services.join(world.worker, world.court.id, w.SLOT, now=w.NOW)
    b = services.join(world.worker, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    services.join(world.worker2, world.court.id, w.SLOT, now=w.NOW)
    assert [x.id for x in services.list_for(world.worker, now=w.NOW)] == [b.id, a.id]


def test_integrity_finds_a_hold_the_counter_lost(world):
    first = reservations.book(world.admin, world.court.id, w.SLOT, now=w.NOW)
    services.join(world.worker, world.court.id, w.SLOT, auto_book=False, now=w.NOW)
    reservations.cancel(world.admin, first.id, now=w.NOW)
    db.session.execute(SlotLoad.__table__.update().values(held=0))
    db.session.commit()
    problems = integrity.check(now=w.NOW)
    assert len(problems) == 1 and "counter says 0 held" in problems[0]
