"""The service functions behind the quota screens: scoping, states, suspensions, the no-show policy."""

from datetime import date, timedelta

import pytest

from booking.admin import agreements
from booking.errors import Forbidden, Invalid, NotFound
from booking.extensions import db
from booking.quotas import services as quotas
from booking.quotas.models import NoShowPolicy, Suspension
from booking.reports.quota_usage import enterprise_report
from booking.reservations import services
from tests import factories as f
from tests import world as w


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False, hours=3, per_worker=2)
    world.hostadmin = f.user("hostadmin", roles=[("host_admin", world.host)])
    return world


def test_state_of_an_agreement():
    a = agreements.SharingAgreement(valid_from=date(2026, 11, 1), valid_until=date(2026, 11, 30))
    assert agreements.state(a, date(2026, 10, 31)) == "future"
    assert agreements.state(a, date(2026, 11, 1)) == "in_force"
    assert agreements.state(a, date(2026, 11, 30)) == "in_force"
    assert agreements.state(a, date(2026, 12, 1)) == "ended"
    assert agreements.state(agreements.SharingAgreement(valid_from=date(2020, 1, 1)), date(2099, 1, 1)) == "in_force"


def test_host_admin_sees_only_their_hosts_agreements_and_facilities(world):
    assert [a.id for a in agreements.host_agreements(world.hostadmin)] == [world.agreement.id]
    assert [h.id for h in agreements.admin_hosts(world.hostadmin)] == [world.host.id]
    assert {fac.id for fac in agreements.host_facilities(world.hostadmin)} == {world.court.id, world.gym.id}
    assert agreements.get_for_host_admin(world.hostadmin, world.agreement.id) is not None
    with pytest.raises(NotFound):
        agreements.get_for_host_admin(world.other_staff, world.agreement.id)
    with pytest.raises(NotFound):
        agreements.get_for_host_admin(world.hostadmin, 99999)
    for user in (world.staff, world.worker, world.admin):  # staff is not admin; workers, enterprise admins
        with pytest.raises(Forbidden):
            agreements.host_agreements(user)


def test_parties_are_enterprises_and_unions(world):
    enterprises, unions = agreements.parties()
    assert {o.name for o in unions} == {"联合工会"}
    assert {"海顺模具", "精工压铸", "吉利春晓"} <= {o.name for o in enterprises}
    assert "灵峰中心" not in {o.name for o in enterprises}  # a community centre is no party


@pytest.mark.parametrize("party", [{"enterprise_id": 0}, {"group_id": 0}, {"enterprise_id": 99999}])
def test_an_agreement_with_a_party_that_does_not_exist_is_refused(world, party):
    """Id 0 is an id like any other (no party has it), not "none given": refused as unknown,
    with no query for an empty key (SQLAlchemy warns of that)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    before = db.session.query(agreements.SharingAgreement).count()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        with pytest.raises(Invalid) as refused:
            agreements.create(world.hostadmin, world.host.id, date(2026, 12, 1), **party)
    assert refused.value.code == "invalid_party"
    assert db.session.query(agreements.SharingAgreement).count() == before


def test_enterprise_admin_reads_their_own_and_their_unions_agreements(world):
    union = db.session.get(type(world.ent), world.ent.parent_id)
    by_union = f.agreement(world.other_host, group=union, hours=5)
    f.agreement(world.other_host, world.other_ent, hours=1)  # someone else's
    assert {a.id for a in agreements.for_enterprise_admin(world.admin)} == {world.agreement.id, by_union.id}
    with pytest.raises(Forbidden):
        agreements.for_enterprise_admin(world.worker)


def test_quota_at_host_before_booking(world):
    services.book(world.worker, world.gym.id, w.SLOT, now=w.NOW)
    q = quotas.quota_at_host(world.worker, world.host.id, date(2026, 11, 25), w.NOW)
    assert (q["minutes_left"], q["minutes_limit"], q["bookings_left"], q["bookings_per_worker"]) == (120, 180, 1, 2)
    assert q["week"] == "2026-W48" and q["suspended_until"] is None
    assert quotas.quota_at_host(world.worker, world.other_host.id, date(2026, 11, 25), w.NOW) is None
    assert quotas.quota_at_host(world.staff, world.host.id, date(2026, 11, 25), w.NOW) is None


def test_suspensions_of_an_enterprise(world):
    ends = w.NOW + timedelta(days=10)
    db.session.add_all(
        [
            Suspension(
                user_id=world.worker.id,
                host_id=world.host.id,
                starts_at=w.NOW - timedelta(days=1),
                ends_at=ends,
                no_shows=3,
            ),
            Suspension(
                user_id=world.worker2.id,
                host_id=world.host.id,
                starts_at=w.NOW - timedelta(days=20),
                ends_at=w.NOW - timedelta(days=6),
                no_shows=3,
            ),  # over
            Suspension(
                user_id=world.outsider.id,
                host_id=world.other_host.id,
                starts_at=w.NOW - timedelta(days=1),
                ends_at=ends,
                no_shows=3,
            ),  # another enterprise's
        ]
    )
    db.session.commit()
    (s,) = quotas.enterprise_suspensions(world.admin, w.NOW)
    assert (s["user"].id, s["host"].id, s["ends_at"], s["no_shows"]) == (world.worker.id, world.host.id, ends, 3)
    assert quotas.quota_at_host(world.worker, world.host.id, date(2026, 11, 25), w.NOW)["suspended_until"] == ends
    with pytest.raises(Forbidden):
        quotas.enterprise_suspensions(world.worker, w.NOW)


def test_enterprise_report_names_the_enterprise(world):
    (report,) = enterprise_report(world.admin, date(2026, 11, 23))
    assert report["enterprise"].id == world.ent.id


def test_no_show_policy_defaults_then_set(world):
    assert quotas.no_show_policy(world.hostadmin, world.host.id) == {
        "no_show_limit": 3,
        "within_days": 30,
        "suspend_days": 14,
        "exists": False,
    }
    quotas.set_no_show_policy(world.hostadmin, world.host.id, 2, 60, 0)
    db.session.expire_all()
    policy = db.session.get(NoShowPolicy, world.host.id)
    assert (policy.no_show_limit, policy.within_days, policy.suspend_days) == (2, 60, 0)
    quotas.set_no_show_policy(world.hostadmin, world.host.id, 20, 365, 365)  # the upper bounds
    assert quotas.no_show_policy(world.hostadmin, world.host.id)["suspend_days"] == 365


@pytest.mark.parametrize(
    "values, field",
    [
        ((0, 30, 14), "no_show_limit"),
        ((21, 30, 14), "no_show_limit"),
        ((2.5, 30, 14), "no_show_limit"),
        ((True, 30, 14), "no_show_limit"),
        ((3, 0, 14), "within_days"),
        ((3, 366, 14), "within_days"),
        ((3, "30", 14), "within_days"),
        ((3, 30, -1), "suspend_days"),
        ((3, 30, 366), "suspend_days"),
        ((3, 30, None), "suspend_days"),
    ],
)
def test_bad_no_show_policy_is_refused_and_changes_nothing(world, values, field):
    quotas.set_no_show_policy(world.hostadmin, world.host.id, 4, 20, 7)
    with pytest.raises(Invalid) as err:
        quotas.set_no_show_policy(world.hostadmin, world.host.id, *values)
    assert err.value.code == "invalid_policy" and err.value.details["field"] == field
    db.session.rollback()
    db.session.expire_all()
    policy = db.session.get(NoShowPolicy, world.host.id)
    assert (policy.no_show_limit, policy.within_days, policy.suspend_days) == (4, 20, 7)


def test_no_show_policy_is_scoped(world):
    with pytest.raises(NotFound):
        quotas.no_show_policy(world.other_staff, world.host.id)
    with pytest.raises(NotFound):
        quotas.set_no_show_policy(world.other_staff, world.host.id, 3, 30, 14)
    with pytest.raises(Forbidden):
        quotas.set_no_show_policy(world.staff, world.host.id, 3, 30, 14)
    assert db.session.get(NoShowPolicy, world.host.id) is None
