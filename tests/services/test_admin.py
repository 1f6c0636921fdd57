"""Host and district administration use cases, without HTTP, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import integrity
from booking.accounts import services as accounts
from booking.accounts.models import RoleGrant, User
from booking.admin import district, impact, people, services
from booking.audit.models import AuditEntry
from booking.errors import Conflict, Forbidden, Invalid, NotFound
from booking.extensions import db
from booking.facilities.models import Facility, Venue
from booking.organizations.models import Organization
from booking.reservations import services as reservations
from booking.reservations.models import Notification, Reservation
from tests import factories as f
from tests import world as w

ALL_WEEK = {d: [(8 * 60, 22 * 60)] for d in range(7)}


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False)
    world.host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    world.district = f.user("district", roles=[("district_admin", world.other_host)])
    return world


def new_facility(world, **values):
    return services.create_facility(
        world.host_admin,
        world.court.venue_id,
        {"name": "乒乓球室", "kind": "table_tennis", "capacity": 4, "hours": ALL_WEEK, **values},
        now=w.NOW,
    )


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def status(rid) -> str:
    db.session.rollback()
    return db.session.get(Reservation, rid).status


# --- a new facility takes bookings the same minute ---------------------------------------------


def test_a_new_facility_is_bookable_at_once(world):
    table = new_facility(world)
    assert table.active and table.slot_minutes == 60 and len(table.hours) == 7
    r = reservations.book(world.worker, table.id, w.SLOT, party_size=2, now=w.NOW)
    assert r.status == "confirmed" and r.places == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "facility.create"))
    assert entry.obj_id == table.id and entry.host_id == world.host.id and entry.actor_id == world.host_admin.id
    assert entry.after["capacity"] == 4 and entry.after["hours"]["0"] == "08:00-22:00"
    assert integrity.check() == []


@pytest.mark.parametrize(
    "values, field",
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": "4"}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"slot_minutes": 7}, "slot_minutes"),
        ({"window_opens_minute": 1440}, "window_opens_minute"),
        ({"name": "  "}, "name"),
        ({"kind": "pool"}, "kind"),
        ({"hours": {0: [(600, 540)]}}, "hours"),
        ({"hours": {0: [(480, 720), (700, 800)]}}, "hours"),
        ({"hours": {0: [(480, 1500)]}}, "hours"),
        ({"hours": {7: [(480, 720)]}}, "hours"),
        ({"requires_approval": "yes"}, "requires_approval"),
    ],
)
def test_bad_facility_input_changes_nothing(world, values, field):
    before = count(Facility), count(AuditEntry)
    with pytest.raises(Invalid) as err:
        new_facility(world, **values)
    assert err.value.details["field"] == field and err.value.message
    assert (count(Facility), count(AuditEntry)) == before


def test_hours_may_close_at_midnight_and_split(world):
    table = new_facility(world, hours={5: [(14 * 60, 24 * 60), (8 * 60, 12 * 60)]})
    assert [(h.weekday, h.opens_minute, h.closes_minute) for h in table.hours] == [(5, 480, 720), (5, 840, 1440)]


# --- changes that hit bookings ------------------------------------------------------------------


def test_lowering_capacity_below_a_slot_must_cancel_first(world):
    r = reservations.book(world.worker, world.gym.id, w.SLOT, party_size=3, now=w.NOW)
    other = reservations.book(world.worker2, world.gym.id, w.SLOT + timedelta(hours=1), party_size=1, now=w.NOW)

    asked = services.change_facility(world.host_admin, world.gym.id, {"capacity": 2}, now=w.NOW)
    assert not asked.applied and [(h.reservation.id, h.why) for h in asked.hits] == [(r.id, impact.OVER_CAPACITY)]
    kept = services.change_facility(world.host_admin, world.gym.id, {"capacity": 2}, "keep", now=w.NOW)
    assert not kept.applied and kept.blocking
    db.session.rollback()
    assert db.session.get(Facility, world.gym.id).capacity == 5

    with pytest.raises(Invalid):  # cancelling needs a notice for the workers
        services.change_facility(world.host_admin, world.gym.id, {"capacity": 2}, "cancel", "", now=w.NOW)
    done = services.change_facility(world.host_admin, world.gym.id, {"capacity": 2}, "cancel", "器材检修", now=w.NOW)
    assert done.applied and done.cancelled == {r.id: None}
    assert status(r.id) == "cancelled" and status(other.id) == "confirmed"
    assert db.session.get(Facility, world.gym.id).capacity == 2
    assert db.session.scalar(select(Notification.reason).where(Notification.reservation_id == r.id)) == "器材检修"
    assert integrity.check() == []


def test_changing_slot_length_keeps_counters_right(world):
    r = reservations.book(world.worker, world.court.id, w.SLOT, now=w.NOW)  # 19:00-20:00
    asked = services.change_facility(world.host_admin, world.court.id, {"slot_minutes": 30}, now=w.NOW)
    assert [h.why for h in asked.hits] == [impact.OFF_GRID] and not asked.applied
    # Kept, a 19:30 booking on the new grid would share the court: it may not stay.
    assert not services.change_facility(
        world.host_admin, world.court.id, {"slot_minutes": 30}, "keep", now=w.NOW
    ).applied
    done = services.change_facility(
        world.host_admin, world.court.id, {"slot_minutes": 30}, "cancel", "改为半小时", now=w.NOW
    )
    assert done.applied and status(r.id) == "cancelled"
    half = reservations.book(world.worker2, world.court.id, w.SLOT + timedelta(minutes=30), now=w.NOW)
    assert (half.end_at - half.start_at) == timedelta(minutes=30)
    assert integrity.check() == []


def test_slot_length_change_with_matching_bookings_applies(world):
    # 19:00-20:00 is still a slot when the grid stays 60 min but hours shift by whole hours.
    r = reservations.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    done = services.change_facility(
        world.host_admin, world.court.id, {"hours": {d: [(9 * 60, 21 * 60)] for d in range(7)}}, now=w.NOW
    )
    assert done.applied and done.hits == [] and status(r.id) == "confirmed"
    assert integrity.check() == []


def test_shortened_hours_list_the_bookings_left_outside(world):
    r = reservations.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    short = {d: [(8 * 60, 18 * 60)] for d in range(7)}
    asked = services.change_facility(world.host_admin, world.court.id, {"hours": short}, now=w.NOW)
    assert [h.why for h in asked.hits] == [impact.OUTSIDE_HOURS] and not asked.hits[0].blocking
    kept = services.change_facility(world.host_admin, world.court.id, {"hours": short}, "keep", now=w.NOW)
    assert kept.applied and status(r.id) == "confirmed"
    with pytest.raises(Conflict) as err:
        reservations.book(world.worker2, world.court.id, w.SLOT + timedelta(days=1), now=w.NOW)
    assert err.value.code == "closed"
    assert integrity.check() == []


def test_retire_and_reopen(world):
    r = reservations.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    assert [h.why for h in services.retire_preview(world.host_admin, world.court.id, now=w.NOW)] == [impact.RETIRED]
    assert not services.retire_facility(world.host_admin, world.court.id, now=w.NOW).applied
    done = services.retire_facility(world.host_admin, world.court.id, "keep", now=w.NOW)
    assert done.applied and status(r.id) == "confirmed"
    with pytest.raises((Conflict, NotFound)):
        reservations.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    assert services.reactivate_facility(world.host_admin, world.court.id, now=w.NOW).applied
    assert reservations.book(world.worker2, world.court.id, w.SLOT + timedelta(hours=1), now=w.NOW)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.obj_type == "facility")).all()
    assert set(actions) == {"facility.retire", "facility.reactivate"}


def test_retire_cancelling_bookings(world):
    r = reservations.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    done = services.retire_facility(world.host_admin, world.court.id, "cancel", "场地拆除", now=w.NOW)
    assert done.applied and status(r.id) == "cancelled" and not db.session.get(Facility, world.court.id).active
    assert integrity.check() == []


# --- venues -------------------------------------------------------------------------------------


def test_venue_create_and_change(world):
    venue = services.create_venue(
        world.host_admin, world.host.id, {"name": "新馆", "address": "春晓", "timezone": "Asia/Shanghai"}
    )
    out = services.change_venue(
        world.host_admin, venue.id, {"name": "新馆二", "address": "", "timezone": "Asia/Urumqi"}
    )
    assert out.applied and db.session.get(Venue, venue.id).timezone == "Asia/Urumqi"


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", "Asia/", "../etc/passwd", "EST5EDT;"])
def test_bad_time_zone_is_refused(world, tz):
    with pytest.raises(Invalid) as err:
        services.change_venue(world.host_admin, world.court.venue_id, {"name": "x", "timezone": tz or "Nowhere/X"})
    assert err.value.details["field"] == "timezone"
    db.session.rollback()
    assert db.session.get(Venue, world.court.venue_id).name == "春晓基地"


def test_time_zone_change_moves_the_grid(world):
    r = reservations.book(world.worker, world.court.id, w.SLOT, now=w.NOW)
    out = services.change_venue(
        world.host_admin, world.court.venue_id, {"name": "春晓基地", "timezone": "Asia/Kathmandu"}, now=w.NOW
    )
    assert not out.applied and r.id in [h.reservation.id for h in out.blocking]


# --- scope ---------------------------------------------------------------------------------------


def test_other_roles_and_hosts(world):
    for user in (world.staff, world.worker, world.admin):
        with pytest.raises(Forbidden):
            services.change_facility(user, world.court.id, {"capacity": 2})
    with pytest.raises(NotFound):  # another host's admin: not revealed
        services.change_facility(world.other_staff, world.court.id, {"capacity": 2})
    with pytest.raises(NotFound):
        services.create_facility(world.other_staff, world.court.venue_id, {"name": "x", "kind": "gym"})
    with pytest.raises(NotFound):
        services.create_venue(world.other_staff, world.host.id, {"name": "x"})
    # A district admin may set up a venue for any organization (that makes it a host)...
    assert services.create_venue(world.district, world.ent.id, {"name": "海顺活动室"}).host_id == world.ent.id
    # ...but the host's admins run its facilities.
    with pytest.raises(Forbidden):
        services.change_facility(world.district, world.court.id, {"capacity": 2})
    assert db.session.get(Facility, world.court.id).capacity == 1


# --- staff accounts ------------------------------------------------------------------------------


def test_staff_accounts(world):
    user = people.create_staff(world.host_admin, world.host.id, "Desk1", "前台小王", "longenough", "host_staff")
    assert user.username == "desk1" and user.org_ids("host_staff") == {world.host.id}
    assert accounts.authenticate("desk1", "longenough").id == user.id
    with pytest.raises(Conflict):
        people.create_staff(world.host_admin, world.host.id, "desk1", "又一个", "longenough")
    with pytest.raises(Invalid) as err:
        people.create_staff(world.host_admin, world.host.id, "desk2", "小李", "short")
    assert err.value.details["field"] == "password"
    with pytest.raises(Invalid):
        people.create_staff(world.host_admin, world.host.id, "desk2", "小李", "longenough", "district_admin")
    people.grant_staff(world.host_admin, world.host.id, "worker", "host_staff")
    with pytest.raises(Conflict):
        people.grant_staff(world.host_admin, world.host.id, "worker", "host_staff")
    with pytest.raises(Invalid):
        people.grant_staff(world.host_admin, world.host.id, "nobody", "host_staff")
    people.revoke_staff(world.host_admin, world.host.id, user.id, "host_staff")
    db.session.rollback()
    assert not db.session.get(User, user.id).grants
    with pytest.raises(Conflict):
        people.revoke_staff(world.host_admin, world.host.id, world.host_admin.id, "host_admin")
    with pytest.raises(NotFound):
        people.revoke_staff(world.host_admin, world.host.id, world.outsider.id, "host_staff")
    with pytest.raises(NotFound):
        people.host_staff(world.other_staff, world.host.id)
    with pytest.raises(Forbidden):
        people.host_staff(world.staff, world.host.id)
    names = [u.username for u, _ in people.host_staff(world.host_admin, world.host.id)[1]]
    assert names == ["hostadmin", "staff", "worker"]


# --- district ------------------------------------------------------------------------------------


def test_district_creates_a_host_with_its_venue(world):
    org, venue = district.create_organization(
        world.district,
        {"name": "大港青年广场", "kind": "community_centre", "parent_id": None, "headcount": 0},
        venue={"name": "青年广场", "address": "大港", "timezone": "Asia/Shanghai"},
    )
    assert venue.host_id == org.id and org.invite_code is None
    ent, _ = district.create_organization(
        world.district, {"name": "新企业", "kind": "enterprise", "parent_id": org.id, "headcount": 30}
    )
    assert ent.invite_code and ent.parent_id == org.id
    assert "host_admin" in people.admin_roles_for(org)
    admin = people.create_org_admin(world.district, org.id, "plaza", "广场管理员", "longenough", "host_admin")
    assert admin.org_ids("host_admin") == {org.id}
    with pytest.raises(Invalid):  # a community centre has no enterprise admins
        people.create_org_admin(world.district, org.id, "plaza2", "x", "longenough", "enterprise_admin")


@pytest.mark.parametrize(
    "values, field",
    [
        ({"name": ""}, "name"),
        ({"kind": "club"}, "kind"),
        ({"headcount": -1}, "headcount"),
        ({"headcount": "many"}, "headcount"),
        ({"parent_id": 999999}, "parent_id"),
        ({"parent_id": "x"}, "parent_id"),
        ({"name": "灵峰中心"}, "name"),
    ],
)
def test_bad_organization_input_changes_nothing(world, values, field):
    before = count(Organization), count(AuditEntry)
    with pytest.raises((Invalid, Conflict)) as err:
        district.create_organization(
            world.district, {"name": "新组织", "kind": "enterprise", "parent_id": None, "headcount": 5, **values}
        )
    assert err.value.details["field"] == field
    assert (count(Organization), count(AuditEntry)) == before


def test_organization_cannot_be_its_own_ancestor(world):
    union = world.ent.parent_id
    with pytest.raises(Invalid) as err:
        district.change_organization(
            world.district,
            world.ent.id,
            {"name": world.ent.name, "kind": "enterprise", "parent_id": world.ent.id, "headcount": 5},
        )
    assert err.value.code == "own_parent"
    with pytest.raises(Invalid) as err:
        district.change_organization(
            world.district,
            union,
            {"name": "联合工会", "kind": "joint_union", "parent_id": world.ent.id, "headcount": 5},
        )
    assert err.value.code == "parent_cycle"
    db.session.rollback()
    assert db.session.get(Organization, union).parent_id is None


def test_invite_code_regeneration(world):
    old = world.ent.invite_code
    org = district.regenerate_invite_code(world.district, world.ent.id)
    assert org.invite_code != old
    with pytest.raises(Invalid):
        accounts.register("newbie", "新人", "longenough", old)
    assert accounts.register("newbie", "新人", "longenough", org.invite_code).status == "pending"
    with pytest.raises(Conflict):
        district.regenerate_invite_code(world.district, world.other_host.id)


def test_enterprise_admins(world):
    with pytest.raises(Invalid) as err:  # not a member of the enterprise
        people.grant_org_admin(world.district, world.ent.id, "outsider", "enterprise_admin")
    assert err.value.code == "not_a_member"
    people.grant_org_admin(world.district, world.ent.id, "worker2", "enterprise_admin")
    new = people.create_org_admin(world.district, world.ent.id, "hsadmin", "联络员", "longenough", "enterprise_admin")
    assert new.enterprise_id == world.ent.id
    people.revoke_org_admin(world.district, world.ent.id, world.admin.id, "enterprise_admin")
    db.session.rollback()
    holders = {u.username for u, _ in people.org_admins(world.district, world.ent.id)[1]}
    assert holders == {"worker2", "hsadmin"}


def test_only_district_admins(world):
    for user in (world.host_admin, world.staff, world.worker, world.admin):
        with pytest.raises(Forbidden):
            district.organizations(user)
        with pytest.raises(Forbidden):
            district.regenerate_invite_code(user, world.ent.id)
        with pytest.raises(Forbidden):
            people.grant_org_admin(user, world.ent.id, "worker2", "enterprise_admin")
    with pytest.raises(NotFound):
        district.regenerate_invite_code(world.district, 999999)
    assert db.session.scalar(select(func.count(RoleGrant.id)).where(RoleGrant.user_id == world.worker2.id)) == 0
