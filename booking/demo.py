"""The Beilun demo world of product.md, built idempotently (get-or-create by name)."""

from datetime import date

from sqlalchemy import select

from .accounts.models import RoleGrant, User
from .accounts.services import hash_password
from .extensions import db
from .facilities.models import Facility, OpeningHours, Venue
from .organizations.models import Organization
from .quotas.models import NoShowPolicy, SharingAgreement
from .timeutil import DEFAULT_TIMEZONE

DEMO_PASSWORD = "demo1234"

FEDERATION = "北仑区总工会"
DAGANG = "大港社区总工会"
LINGFENG_UNION = "灵峰社区工会联合会"
CHUNXIAO_UNION = "春晓街道总工会"
GEELY = "吉利汽车春晓基地工会"
LINGFENG_CENTRE = "灵峰社区职工文化活动中心"
DAGANG_JOINT = [
    "五湖联合工会",
    "四海联合工会",
    "同心联合工会",
    "科创联合工会",
    "智装联合工会",
    "物流联合工会",
    "电商联合工会",
]

# (name, parent, headcount). The first is entadmin's: workers worker1-worker8.
ENTERPRISES = [
    ("宁波海顺模具有限公司", LINGFENG_UNION, 18),
    ("北仑精工压铸有限公司", LINGFENG_UNION, 22),
    ("宁波恒锐汽车零部件有限公司", LINGFENG_UNION, 16),
    ("灵峰新材料科技有限公司", LINGFENG_UNION, 12),
    ("宁波五湖电子有限公司", "五湖联合工会", 20),
    ("四海国际物流有限公司", "四海联合工会", 24),
    ("同心塑料制品厂", "同心联合工会", 9),
    ("科创智能装备有限公司", "科创联合工会", 15),
    ("智装机械有限公司", "智装联合工会", 11),
    ("港城供应链有限公司", "物流联合工会", 19),
    ("北仑云仓电商有限公司", "电商联合工会", 14),
    ("春晓汽配配套有限公司", CHUNXIAO_UNION, 21),
]

EVERY_DAY = range(7)
WEEKDAYS = range(5)
WEEKEND = (5, 6)


def _h(hh: int, mm: int = 0) -> int:
    return hh * 60 + mm


# venue -> (host, address, facilities[(name, kind, capacity, requires_approval, hours)])
VENUES = [
    (
        "吉利汽车春晓基地职工活动中心",
        GEELY,
        "宁波市北仑区春晓街道滨海大道1号",
        [
            ("羽毛球场 1 号", "badminton", 1, True, "geely"),
            ("羽毛球场 2 号", "badminton", 1, True, "geely"),
            ("篮球场", "basketball", 1, True, "geely"),
            ("台球室", "billiards", 1, True, "geely"),
            ("阅览室", "reading_room", 20, False, "geely_reading"),
        ],
    ),
    (
        "灵峰社区职工文化活动中心",
        LINGFENG_CENTRE,
        "宁波市北仑区大碶街道灵峰路88号",
        [
            ("篮球场", "basketball", 1, False, "daily_8_22"),
            ("健身房", "gym", 30, False, "daily_8_22"),
            ("阅览室", "reading_room", 40, False, "daily_8_22"),
            ("羽毛球场", "badminton", 1, False, "daily_8_22"),
        ],
    ),
    (
        "大港社区青年文化广场",
        DAGANG,
        "宁波市北仑区五台山路与凤洋三路交叉口",
        [
            ("五人制足球场", "football", 1, False, "daily_8_21"),
            ("篮球场", "basketball", 1, False, "daily_8_21"),
        ],
    ),
]

# Evening football at the plaza is scarce: its places are drawn fairly (摇号), two days before at 12:00.
DRAWN = {(DAGANG, "五人制足球场")}

HOURS = {
    "geely": [(d, _h(18), _h(22)) for d in WEEKDAYS] + [(d, _h(9), _h(21)) for d in WEEKEND],
    "geely_reading": [(d, _h(9), _h(21)) for d in EVERY_DAY],
    "daily_8_22": [(d, _h(8), _h(22)) for d in EVERY_DAY],
    "daily_8_21": [(d, _h(8), _h(21)) for d in EVERY_DAY],
}


def invite_code(index: int) -> str:
    return f"BL{index + 1:02d}DEMO"


class _Builder:
    def __init__(self):
        self.password_hash = None
        self.created = 0

    def hashed(self) -> str:
        # Every demo account has the same password, so one (salted) hash serves them all:
        # hashing 2,000 times would take minutes.
        if self.password_hash is None:
            self.password_hash = hash_password(DEMO_PASSWORD)
        return self.password_hash

    def org(self, name, kind, parent=None, headcount=0, code=None) -> Organization:
        org = db.session.scalar(select(Organization).where(Organization.name == name))
        if org is None:
            org = Organization(name=name, kind=kind, parent=parent, headcount=headcount, invite_code=code)
            db.session.add(org)
            db.session.flush()
            self.created += 1
        return org

    def user(self, username, display_name, enterprise=None, grants=()) -> User:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                display_name=display_name,
                password_hash=self.hashed(),
                enterprise_id=enterprise.id if enterprise else None,
                status="active",
            )
            db.session.add(user)
            self.created += 1
        for role, org in grants:
            if not any(g.role == role and g.organization_id == org.id for g in user.grants):
                user.grants.append(RoleGrant(role=role, organization_id=org.id))
        return user


def seed(workers: int = 40) -> int:
    """Build (or complete) the demo world; returns how many rows it created."""
    b = _Builder()
    fed = b.org(FEDERATION, "federation", headcount=300000)
    dagang = b.org(DAGANG, "community_union", fed, 100000)
    lingfeng_union = b.org(LINGFENG_UNION, "community_union", fed, 15000)
    chunxiao = b.org(CHUNXIAO_UNION, "community_union", fed, 20000)
    joint = {name: b.org(name, "joint_union", dagang, 1400) for name in DAGANG_JOINT}
    parents = {LINGFENG_UNION: lingfeng_union, CHUNXIAO_UNION: chunxiao, **joint}
    geely = b.org(GEELY, "enterprise", chunxiao, 6000)
    centre = b.org(LINGFENG_CENTRE, "community_centre", lingfeng_union, 0)
    hosts = {GEELY: geely, LINGFENG_CENTRE: centre, DAGANG: dagang}
    enterprises = [
        b.org(name, "enterprise", parents[parent], head, invite_code(i))
        for i, (name, parent, head) in enumerate(ENTERPRISES)
    ]

    facilities = {}
    for venue_name, host_name, address, specs in VENUES:
        host = hosts[host_name]
        venue = db.session.scalar(select(Venue).where(Venue.name == venue_name))
        if venue is None:
            venue = Venue(name=venue_name, host_id=host.id, address=address, timezone=DEFAULT_TIMEZONE)
            db.session.add(venue)
            db.session.flush()
            b.created += 1
        for name, kind, capacity, approval, hours in specs:
            fac = db.session.scalar(select(Facility).where(Facility.venue_id == venue.id, Facility.name == name))
            if fac is None:
                fac = Facility(
                    venue_id=venue.id,
                    name=name,
                    kind=kind,
                    capacity=capacity,
                    requires_approval=approval,
                    slot_minutes=60,
                    window_days=7,
                    window_opens_minute=_h(8),
                    min_notice_minutes=30,
                    cancel_cutoff_minutes=120,
                    checkin_before_minutes=15,
                    checkin_after_minutes=15,
                    hours=[OpeningHours(weekday=d, opens_minute=o, closes_minute=c) for d, o, c in HOURS[hours]],
                    allocation="draw" if (host_name, name) in DRAWN else "first_come",
                )
                db.session.add(fac)
                b.created += 1
            facilities[(host_name, name)] = fac
    db.session.flush()

    start = date(2026, 1, 1)
    if not db.session.scalar(select(SharingAgreement.id).limit(1)):
        # Geely shares with each nearby enterprise; entadmin's: 8 h/week, 2 bookings per worker.
        for i, ent in enumerate(enterprises):
            db.session.add(
                SharingAgreement(
                    host_id=geely.id,
                    enterprise_id=ent.id,
                    valid_from=start,
                    minutes_per_week=8 * 60 if i == 0 else 6 * 60,
                    bookings_per_worker=2,
                )
            )
        # Community centres are open to every enterprise of their community.
        db.session.add(
            SharingAgreement(
                host_id=centre.id,
                group_id=lingfeng_union.id,
                valid_from=start,
                minutes_per_week=20 * 60,
                bookings_per_worker=4,
            )
        )
        db.session.add(
            SharingAgreement(
                host_id=dagang.id, group_id=dagang.id, valid_from=start, minutes_per_week=10 * 60, bookings_per_worker=3
            )
        )
        # Lingfeng's enterprises are next door to Dagang's plaza too.
        db.session.add(
            SharingAgreement(
                host_id=dagang.id,
                group_id=lingfeng_union.id,
                valid_from=start,
                minutes_per_week=4 * 60,
                bookings_per_worker=2,
            )
        )
        for host in (geely, centre, dagang):
            db.session.add(NoShowPolicy(host_id=host.id, no_show_limit=3, within_days=30, suspend_days=14))
        b.created += 1

    b.user("district", "区总工会管理员", grants=[("district_admin", fed)])
    b.user("geely", "吉利春晓基地管理员", grants=[("host_admin", geely)])
    b.user("lingfeng", "灵峰中心管理员", grants=[("host_admin", centre)])
    b.user("dagang", "大港广场管理员", grants=[("host_admin", dagang)])
    b.user("entadmin", "海顺模具工会联络员", enterprises[0], grants=[("enterprise_admin", enterprises[0])])
    _seed_workers(b, enterprises, workers)
    _seed_addresses()
    db.session.commit()
    return b.created


def _seed_addresses() -> None:
    """Every demo user has a verified address on a reserved domain: a local SMTP sink
    (MAIL_URL) shows a full day's mail."""
    from .notifications.models import NotificationSettings
    from .timeutil import utcnow

    db.session.flush()
    have = set(db.session.scalars(select(NotificationSettings.user_id)))
    now = utcnow()
    rows = [
        {
            "user_id": uid,
            "email": f"{name}@demo.invalid",
            "email_verified_at": now,
            "email_on": True,
            "push_on": True,
            "wecom_on": True,
            "reminder_minutes": 60,
            "quiet_start": 22 * 60,
            "quiet_end": 7 * 60,
        }
        for uid, name in db.session.execute(select(User.id, User.username))
        if uid not in have
    ]
    if rows:
        db.session.execute(NotificationSettings.__table__.insert(), rows)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "平",
    "刚",
    "桂英",
]


def worker_enterprise(n: int, enterprises: list) -> Organization:
    """worker1-8 belong to entadmin's enterprise; the rest spread over the others."""
    if n <= 8:
        return enterprises[0]
    return enterprises[1 + (n - 9) % (len(enterprises) - 1)]


def _seed_workers(b: _Builder, enterprises: list, count: int) -> None:
    existing = set(db.session.scalars(select(User.username).where(User.username.like("worker%"))))
    rows = []
    for n in range(1, count + 1):
        username = f"worker{n}"
        if username in existing:
            continue
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
        rows.append(
            {
                "username": username,
                "display_name": f"{name}{n}",
                "password_hash": b.hashed(),
                "enterprise_id": worker_enterprise(n, enterprises).id,
                "status": "active",
            }
        )
    if rows:
        from .timeutil import utcnow

        now = utcnow()
        for row in rows:
            row["created_at"] = now
        db.session.execute(User.__table__.insert(), rows)
        b.created += len(rows)
