"""The audit log: written in the transaction of the change, read within the reader's scope."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from booking.accounts import services as accounts
from booking.admin import agreements
from booking.audit import services as audit
from booking.audit.models import AuditEntry
from booking.errors import Conflict, Forbidden
from booking.extensions import db
from booking.reservations import blackouts
from booking.reservations import services as reservations
from tests import factories as f
from tests import world as w


@pytest.fixture
def world(ctx):
    world = w.build()
    world.host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    world.district = f.user("district", roles=[("district_admin", world.other_host)])
    return world


def actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_record_lands_with_the_transaction_or_not_at_all(world):
    audit.record(world.host_admin, "test.rolled_back", "facility", 1, world.host.id)
    db.session.rollback()
    assert actions() == []
    entry = audit.record(
        world.host_admin,
        "test.kept",
        "facility",
        world.court,
        world.host.id,
        before={"day": date(2026, 11, 25), "ids": {2, 1}},
        after={"at": datetime(2026, 11, 25, 11, tzinfo=timezone.utc), "n": 3},
    )
    db.session.commit()
    db.session.expire_all()
    entry = db.session.get(AuditEntry, entry.id)
    assert entry.obj_id == world.court.id
    assert entry.before == {"day": "2026-11-25", "ids": [1, 2]}
    assert entry.after == {"at": "2026-11-25T11:00:00+00:00", "n": 3}
    assert audit.changes(entry) == [
        ("day", "2026-11-25", None),
        ("ids", [1, 2], None),
        ("at", None, "2026-11-25T11:00:00+00:00"),
        ("n", None, 3),
    ]


def test_decisions_and_cancellations_are_recorded(world):
    r1 = reservations.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    r2 = reservations.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    reservations.decide(world.staff, r1.id, approve=True, now=w.NOW)
    reservations.decide(world.staff, r2.id, approve=False, reason="场地已满", now=w.NOW)
    reservations.host_cancel(world.staff, r1.id, "临时检修", now=w.NOW)
    assert actions() == ["reservation.approve", "reservation.reject", "reservation.host_cancel"]
    rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert all(
        e.actor_id == world.staff.id and e.host_id == world.host.id and e.enterprise_id == world.ent.id for e in rows
    )
    assert rows[1].after == {"status": "rejected", "reason": "场地已满"}
    assert rows[2].before == {"status": "confirmed"} and rows[2].after["status"] == "cancelled"


def test_a_refused_decision_leaves_no_entry(world):
    r = reservations.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    reservations.decide(world.staff, r.id, approve=True, now=w.NOW)
    with pytest.raises(Conflict) as refused:
        reservations.decide(world.staff, r.id, approve=True, now=w.NOW)
    assert refused.value.code == "not_pending"
    assert actions() == ["reservation.approve"]


def test_agreements_blackouts_and_joins_are_recorded(world):
    a = agreements.create(
        world.host_admin,
        world.host.id,
        date(2026, 1, 1),
        enterprise_id=world.other_ent.id,
        hours=4,
        bookings_per_worker=2,
    )
    agreements.change(world.host_admin, a.id, hours=6)
    b, _ = blackouts.create_blackout(
        world.staff, world.court.id, w.SLOT, w.SLOT + timedelta(hours=2), "检修", now=w.NOW
    )
    blackouts.delete_blackout(world.staff, b.id)
    pending = f.user("newbie", world.ent, status="pending")
    accounts.decide_join(world.admin, pending.id, approve=True)
    assert actions() == ["agreement.create", "agreement.change", "blackout.create", "blackout.delete", "member.approve"]
    change = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "agreement.change"))
    assert audit.changes(change) == [("minutes_per_week", 240, 360)]
    join = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.approve"))
    assert join.enterprise_id == world.ent.id and join.after == {"status": "active"}


def test_each_reader_sees_their_scope(world):
    audit.record(world.host_admin, "x.host", "facility", 1, world.host.id)
    audit.record(world.other_staff, "x.other_host", "facility", 2, world.other_host.id)
    audit.record(world.admin, "x.enterprise", "user", 3, enterprise_id=world.ent.id)
    db.session.commit()
    seen = lambda user: sorted(e.action for e in audit.entries_for(user)[0])  # noqa: E731
    assert seen(world.host_admin) == ["x.host"]
    assert seen(world.other_staff) == ["x.other_host"]
    assert seen(world.admin) == ["x.enterprise"]
    assert seen(world.district) == ["x.enterprise", "x.host", "x.other_host"]
    for user in (world.staff, world.worker):
        with pytest.raises(Forbidden):
            audit.entries_for(user)


def test_newest_first_in_pages(world):
    start = w.NOW
    for i in range(5):
        audit.record(world.host_admin, f"x.{i}", "facility", i, world.host.id, now=start + timedelta(minutes=i))
    db.session.commit()
    first, more = audit.entries_for(world.host_admin, page=1, per_page=2)
    assert [e.action for e in first] == ["x.4", "x.3"] and more
    last, more = audit.entries_for(world.host_admin, page=3, per_page=2)
    assert [e.action for e in last] == ["x.0"] and not more
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 5
