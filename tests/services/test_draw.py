"""The fair draw's use cases on a real database (SQLite and PostgreSQL): apply, run once, re-run."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import integrity
from booking.draw import services
from booking.draw.models import Application, Draw
from booking.errors import Conflict, Forbidden, NotFound
from booking.extensions import db
from booking.reservations import services as reservations
from booking.reservations.models import Notification, Reservation
from booking.waitlist.models import WaitlistEntry
from tests import factories as f
from tests import world as w

# Friday 19:00; its draw is Wednesday 12:00 (2 days before at 12:00, the default).
SLOT = w.local(2026, 11, 27, 19)
DRAW_AT = w.local(2026, 11, 25, 12)
AFTER = DRAW_AT + timedelta(minutes=1)


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False, gym_capacity=2)
    world.gym.allocation = "draw"
    db.session.commit()
    world.worker3 = f.user("worker3", world.ent)
    return world


def refused(fn, *args, **kw) -> str:
    with pytest.raises((Conflict, NotFound, Forbidden)) as err:
        fn(*args, **kw)
    return err.value.code


def fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def test_booking_a_draw_slot_is_refused_until_the_draw_has_run(world):
    assert refused(reservations.book, world.worker, world.gym.id, SLOT, now=w.NOW) == "draw_pending"
    a = services.apply(world.worker, world.gym.id, SLOT, now=w.NOW)
    # After the draw time, while the draw is still open: still pending (it runs first).
    assert refused(reservations.book, world.worker2, world.gym.id, SLOT, now=AFTER) == "draw_pending"
    assert services.run_draw(a.draw_id, AFTER) is True
    r = reservations.book(world.worker2, world.gym.id, SLOT, now=AFTER)  # a place left: first-come
    assert r.status == "confirmed"
    # A first-come facility is not drawn.
    assert refused(services.apply, world.worker, world.court.id, SLOT, now=w.NOW) == "not_a_draw"


def test_apply_and_the_draw_books_winners_and_waitlists_the_rest_in_draw_order(world):
    apps = [services.apply(u, world.gym.id, SLOT, now=w.NOW) for u in (world.worker, world.worker2, world.worker3)]
    draw = fresh(Draw, apps[0].draw_id)
    assert {a.draw_id for a in apps} == {draw.id}
    assert (draw.status, draw.draw_at, draw.algorithm) == ("open", DRAW_AT, "turns-by-share-v1")
    assert len(draw.seed_sha256) == 64
    assert services.run_draw(draw.id, DRAW_AT - timedelta(seconds=1)) is False  # not due
    assert services.run_draw(draw.id, AFTER) is True
    assert services.run_draw(draw.id, AFTER) is False  # exactly once
    draw = fresh(Draw, draw.id)
    order = draw.result["order"]
    assert sorted(order) == sorted(a.id for a in apps) and draw.status == "done"
    statuses = {a.id: fresh(Application, a.id).status for a in apps}
    assert [statuses[i] for i in order] == ["won", "won", "waitlisted"]
    for winner in draw.result["winners"]:
        r = db.session.get(Reservation, winner["reservation_id"])
        assert (r.status, r.start_at, r.facility_id) == ("confirmed", SLOT, world.gym.id)
    loser = fresh(Application, order[2])
    entry = db.session.get(WaitlistEntry, loser.waitlist_id)
    assert (entry.status, entry.user_id, entry.start_at) == ("waiting", loser.user_id, SLOT)
    kinds = sorted(n.kind for n in db.session.scalars(select(Notification)))
    assert kinds == ["draw_waitlisted", "draw_won", "draw_won"]
    assert services.rerun(draw) == []
    assert integrity.check(now=AFTER) == []
    # A winner cancels: the first in line is booked (the waitlist serves the freed place).
    winner = fresh(Application, order[0])
    reservations.cancel(_user(winner), winner.reservation_id, now=AFTER)
    assert fresh(WaitlistEntry, entry.id).status == "booked"


def _user(application):
    from booking.accounts.models import User

    return db.session.get(User, application.user_id)


def test_apply_refusals(world):
    services.apply(world.worker, world.gym.id, SLOT, now=w.NOW)
    assert refused(services.apply, world.worker, world.gym.id, SLOT, now=w.NOW) == "already_applied"
    assert refused(services.apply, world.outsider, world.gym.id, SLOT, now=w.NOW) == "not_found"
    assert refused(services.apply, world.staff, world.gym.id, SLOT, now=w.NOW) == "not_a_worker"
    assert refused(services.apply, world.worker2, world.gym.id, SLOT, now=AFTER) == "draw_closed"
    assert (
        refused(services.apply, world.worker2, world.gym.id, SLOT + timedelta(days=30), now=w.NOW) == "outside_window"
    )
    reservations.book(world.worker2, world.court.id, SLOT, now=w.NOW)
    assert refused(services.apply, world.worker2, world.gym.id, SLOT, now=w.NOW) == "overlap"


def test_cancel_an_application_while_the_draw_is_open(world):
    a = services.apply(world.worker, world.gym.id, SLOT, now=w.NOW)
    assert services.cancel(world.worker, a.id, now=w.NOW).status == "cancelled"
    assert refused(services.cancel, world.worker2, a.id, now=w.NOW) == "not_found"
    again = services.apply(world.worker, world.gym.id, SLOT, now=w.NOW)
    services.run_draw(again.draw_id, AFTER)
    assert refused(services.cancel, world.worker, again.id, now=AFTER) == "not_cancellable"
    assert fresh(Draw, again.draw_id).result["order"] == [again.id]


def test_a_winner_who_can_no_longer_book_is_refused_and_the_others_win(world):
    world.gym.capacity = 3  # every application is reached, whatever the order
    db.session.commit()
    apps = [services.apply(u, world.gym.id, SLOT, now=w.NOW) for u in (world.worker, world.worker2, world.worker3)]
    reservations.book(_user(apps[1]), world.court.id, SLOT, now=w.NOW)  # worker2 now overlaps
    services.run_draw(apps[0].draw_id, AFTER)
    assert fresh(Application, apps[1].id).status == "refused"
    assert fresh(Application, apps[1].id).reason == "overlap"
    assert sorted(fresh(Application, a.id).status for a in (apps[0], apps[2])) == ["won", "won"]
    assert services.rerun(fresh(Draw, apps[0].draw_id)) == []


def test_rerun_finds_a_tampered_result(world):
    a = services.apply(world.worker, world.gym.id, SLOT, now=w.NOW)
    b = services.apply(world.worker2, world.gym.id, SLOT, now=w.NOW)
    services.run_draw(a.draw_id, AFTER)
    draw = fresh(Draw, a.draw_id)
    draw.result = {**draw.result, "order": list(reversed(draw.result["order"]))}
    db.session.commit()
    assert services.rerun(fresh(Draw, a.draw_id)) != []
    assert sorted(fresh(Draw, a.draw_id).result["order"]) == sorted([a.id, b.id])


def test_who_may_read_a_draw(world):
    a = services.apply(world.worker, world.gym.id, SLOT, now=w.NOW)
    assert services.get_for(world.worker, a.draw_id, now=w.NOW).id == a.draw_id
    assert services.get_for(world.staff, a.draw_id, now=w.NOW).id == a.draw_id
    assert refused(services.get_for, world.worker2, a.draw_id, now=w.NOW) == "not_found"
    assert refused(services.get_for, world.other_staff, a.draw_id, now=w.NOW) == "not_found"
    # Read after its time: it runs first.
    assert services.get_for(world.worker, a.draw_id, now=AFTER).status == "done"


def test_rerun_draw_cli(app, world):
    a = services.apply(world.worker, world.gym.id, SLOT, now=w.NOW)
    services.apply(world.worker2, world.gym.id, SLOT, now=w.NOW)
    services.run_draw(a.draw_id, AFTER)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["rerun-draw", str(a.draw_id)])
    assert ok.exit_code == 0 and "same order" in ok.output
    draw = fresh(Draw, a.draw_id)
    draw.result = {**draw.result, "winners": []}
    db.session.commit()
    bad = runner.invoke(args=["rerun-draw", str(a.draw_id)])
    assert bad.exit_code == 1 and "winners" in bad.output
    assert runner.invoke(args=["rerun-draw", "999999"]).exit_code == 1
