"""The demo world of product.md, and that seeding it twice changes nothing."""

from sqlalchemy import func, select

from booking import demo
from booking.accounts.models import User
from booking.accounts.services import authenticate
from booking.extensions import db
from booking.facilities.models import Facility, Venue
from booking.organizations.models import Organization
from booking.quotas.models import SharingAgreement


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Organization, User, Venue, Facility, SharingAgreement)
    )


def test_seed_builds_the_world_and_is_idempotent(ctx):
    assert demo.seed(40) > 0
    first = counts()
    assert demo.seed(40) == 0
    assert counts() == first


def test_demo_accounts_and_roles(ctx):
    demo.seed(40)
    users = {u.username: u for u in db.session.scalars(select(User))}
    for name in ["district", "geely", "lingfeng", "entadmin"] + [f"worker{i}" for i in range(1, 41)]:
        assert authenticate(name, demo.DEMO_PASSWORD).id == users[name].id
    assert users["district"].has_role("district_admin")
    assert users["geely"].has_role("host_admin") and users["geely"].has_role("host_staff")
    ent = users["entadmin"].org_ids("enterprise_admin")
    assert {users[f"worker{i}"].enterprise_id for i in range(1, 9)} == ent
    assert all(users[f"worker{i}"].enterprise_id not in ent for i in range(9, 41))
    geely = db.session.scalar(select(Organization).where(Organization.name == demo.GEELY))
    deal = db.session.scalar(
        select(SharingAgreement).where(SharingAgreement.host_id == geely.id, SharingAgreement.enterprise_id.in_(ent))
    )
    assert (deal.minutes_per_week, deal.bookings_per_worker) == (8 * 60, 2)


def test_demo_facilities_match_the_brief(ctx):
    demo.seed(0)
    facs = {(f.venue.host.name, f.name): f for f in db.session.scalars(select(Facility))}
    geely = [f for (h, _), f in facs.items() if h == demo.GEELY]
    assert sorted(f.kind for f in geely) == ["badminton", "badminton", "basketball", "billiards", "reading_room"]
    assert all(f.requires_approval == (f.kind != "reading_room") for f in geely)
    assert facs[(demo.GEELY, "阅览室")].capacity == 20
    lingfeng = [f for (h, _), f in facs.items() if h == demo.LINGFENG_CENTRE]
    assert sorted((f.kind, f.capacity) for f in lingfeng) == [
        ("badminton", 1),
        ("basketball", 1),
        ("gym", 30),
        ("reading_room", 40),
    ]
    for f in lingfeng:
        assert not f.requires_approval
        assert sorted((h.weekday, h.opens_minute, h.closes_minute) for h in f.hours) == [
            (d, 480, 1320) for d in range(7)
        ]


def test_more_workers_spread_over_other_enterprises(ctx):
    demo.seed(60)
    ent_admin = db.session.scalar(select(User).where(User.username == "entadmin"))
    firm = ent_admin.enterprise_id
    w = {u.username: u.enterprise_id for u in db.session.scalars(select(User).where(User.username.like("worker%")))}
    assert len(w) == 60
    assert sum(1 for e in w.values() if e == firm) == 8


def test_demo_users_have_verified_addresses_on_a_reserved_domain(ctx):
    from booking.notifications.models import NotificationSettings

    demo.seed(40)
    demo.seed(40)
    rows = {s.user.username: s for s in db.session.scalars(select(NotificationSettings))}
    assert len(rows) == db.session.scalar(select(func.count(User.id)))
    assert rows["worker1"].email == "worker1@demo.invalid" and rows["geely"].email == "geely@demo.invalid"
    assert all(s.email_verified_at is not None and s.email_on for s in rows.values())


def test_the_plazas_football_field_is_drawn_and_the_rest_first_come(ctx):
    demo.seed(0)
    drawn = {(f.venue.host.name, f.name) for f in db.session.scalars(select(Facility)) if f.allocation == "draw"}
    assert drawn == {(demo.DAGANG, "五人制足球场")}
