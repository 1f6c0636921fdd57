"""Usage reports: who may see which, the period asked for, and the figures (plain data).

Host admins see their own hosts' reports; district admins see every host's and the district's.
A period is a run of local calendar days (the federation's time zone, Asia/Shanghai); figures
count the bookings that start inside it and took a place (queries.BOOKED).
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import timeutil
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..facilities.models import Blackout, Facility, Venue
from ..facilities.rules import SlotRules, blacked_out, day_slots
from ..organizations.models import Organization
from . import queries

MAX_DAYS = 400
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


# --- the period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    tz: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC."""
        return timeutil.local_day_bounds(self.start, self.tz)[0], timeutil.local_day_bounds(self.end, self.tz)[1]

    def weeks(self) -> list[date]:
        """Mondays of the ISO weeks the period touches."""
        monday, last = timeutil.week_start(self.start), timeutil.week_start(self.end)
        return [monday + timedelta(weeks=i) for i in range((last - monday).days // 7 + 1)]


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _parse_day(text: str, which) -> date:
    text = text.strip()
    if not text:
        raise Invalid(_l("Choose both dates of the period."), code="missing_date")
    try:
        if not DATE_RE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid(
            _l("The %(which)s date was not understood: use the form 2026-11-01."), code="bad_date", which=which
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Invalid(_l("Choose dates between 2000 and 2100."), code="bad_date")
    return day


def period_from_text(start: str | None, end: str | None, today: date, tz: str) -> Period:
    """The period of ?from=&to= (local dates, YYYY-MM-DD); neither given: the month of `today`."""
    if start is None and end is None:
        return Period(*month_of(today), tz)
    first = _parse_day(start or "", _l("start"))
    last = _parse_day(end or "", _l("end"))
    if last < first:
        raise Invalid(_l("The period ends before it starts."), code="inverted")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(_l("Choose a period of at most %(days)s days."), code="too_long", days=MAX_DAYS)
    return Period(first, last, tz)


# --- who may see what ----------------------------------------------------------------------


@dataclass(frozen=True)
class HostRef:
    id: int
    name: str


def is_district(user) -> bool:
    return user.has_role("district_admin")


def report_hosts(user) -> list[HostRef]:
    """The hosts whose reports `user` may see; Forbidden for anyone who administers none."""
    if is_district(user):
        where = Organization.id.in_(select(Venue.host_id))  # a host is an organization that owns venues
    elif user.has_role("host_admin"):
        where = Organization.id.in_(user.org_ids("host_admin"))
    else:
        raise Forbidden(_l("Reports are for host admins and the district federation."))
    rows = db.session.execute(select(Organization.id, Organization.name).where(where).order_by(Organization.name)).all()
    return [HostRef(r.id, r.name) for r in rows]


def host_in_scope(user, host_id: int) -> HostRef:
    for host in report_hosts(user):
        if host.id == host_id:
            return host
    if is_district(user):
        raise NotFound(_l("There is no host with that number."), code="unknown_host")
    raise NotFound()  # another host's report: not revealed


# --- the host report -----------------------------------------------------------------------


@dataclass
class Cell:
    offered: float = 0.0  # place-minutes offered (capacity x slot length, every open slot)
    booked: float = 0.0  # place-minutes booked

    @property
    def share(self) -> float | None:
        return min(1.0, self.booked / self.offered) if self.offered else None


@dataclass
class FacilityUsage:
    id: int
    name: str
    kind: str
    capacity: int
    venue: str
    bookings: int = 0
    minutes: float = 0.0
    checked_in: int = 0
    no_show: int = 0
    cells: dict = field(default_factory=lambda: defaultdict(Cell))  # (weekday, hour) -> Cell

    @property
    def no_show_rate(self) -> float | None:
        return rate(self.no_show, self.checked_in)

    @property
    def utilization(self) -> float | None:
        return Cell(sum(c.offered for c in self.cells.values()), sum(c.booked for c in self.cells.values())).share

    @property
    def hours(self) -> list[int]:
        return sorted({hour for (_, hour), c in self.cells.items() if c.offered})


@dataclass
class EnterpriseUsage:
    id: int
    name: str
    bookings: int
    minutes: float
    workers: int


@dataclass
class HostReport:
    host: HostRef
    period: Period
    bookings: int
    minutes: float
    enterprises_served: int
    workers_served: int
    facilities: list[FacilityUsage]
    enterprises: list[EnterpriseUsage]
    offline_checkins: int = 0  # let in by a scanner without signal, synced later
    offline_conflicts: int = 0  # offline let-ins of bookings already marked no-show: to review

    @property
    def checked_in(self) -> int:
        return sum(f.checked_in for f in self.facilities)

    @property
    def no_show(self) -> int:
        return sum(f.no_show for f in self.facilities)

    @property
    def no_show_rate(self) -> float | None:
        return rate(self.no_show, self.checked_in)


def rate(no_show: int, checked_in: int) -> float | None:
    """no-shows / (check-ins + no-shows); None when nobody was due at the door yet."""
    due = no_show + checked_in
    return no_show / due if due else None


def host_report(user, host_id: int, period: Period) -> HostReport:
    host = host_in_scope(user, host_id)
    start, end = period.bounds()
    params = {"host_id": host.id, "start": start, "end": end}
    usage, rules = _facilities(host.id)
    booked_starts = defaultdict(dict)  # facility -> {slot start: length in minutes}
    for row in queries.run("host_slots", **params):
        fac = usage.get(row.facility_id)
        if fac is None:  # a facility moved to another host since: not this host's figures
            continue
        fac.bookings += row.bookings
        fac.minutes += row.minutes or 0
        fac.checked_in += row.bookings if row.status == "checked_in" else 0
        fac.no_show += row.bookings if row.status == "no_show" else 0
        cell = fac.cells[_cell_key(row.start_at, rules[fac.id].timezone)]
        cell.booked += row.place_minutes or 0
        if row.bookings and row.minutes:
            booked_starts[fac.id][row.start_at] = row.minutes / row.bookings
    _offered(usage, rules, booked_starts, period, start, end)
    totals = queries.run("host_totals", **params).one()
    enterprises = [
        EnterpriseUsage(r.enterprise_id, r.name, r.bookings, r.minutes or 0, r.workers)
        for r in queries.run("host_enterprises", **params)
    ]
    enterprises.sort(key=lambda e: (-e.minutes, -e.bookings, e.name))
    facilities = [f for f in usage.values() if f.id in rules and (rules[f.id].active or f.bookings)]
    offline = {row.result: row.scans for row in queries.run("host_offline", **params)}
    return HostReport(
        host=host,
        period=period,
        bookings=totals.bookings or 0,
        minutes=totals.minutes or 0,
        enterprises_served=totals.enterprises or 0,
        workers_served=totals.workers or 0,
        facilities=facilities,
        enterprises=enterprises,
        offline_checkins=offline.get("ok", 0),
        offline_conflicts=offline.get("no_show_conflict", 0),
    )


@dataclass(frozen=True)
class _FacilityRules:
    slots: SlotRules
    capacity: int
    active: bool

    @property
    def timezone(self) -> str:
        return self.slots.timezone


def _facilities(host_id: int) -> tuple[dict, dict]:
    rows = db.session.execute(
        select(Facility, Venue.name, Venue.timezone)
        .join(Venue)
        .where(Venue.host_id == host_id)
        .order_by(Venue.name, Facility.name, Facility.id)
    ).all()
    usage, rules = {}, {}
    for fac, venue_name, tz in rows:
        usage[fac.id] = FacilityUsage(fac.id, fac.name, fac.kind, fac.capacity, venue_name)
        hours = defaultdict(list)
        for h in fac.hours:
            hours[h.weekday].append((h.opens_minute, h.closes_minute))
        rules[fac.id] = _FacilityRules(
            SlotRules(
                timezone=tz,
                slot_minutes=fac.slot_minutes,
                hours=dict(hours),
                window_days=fac.window_days,
                window_opens_minute=fac.window_opens_minute,
                min_notice_minutes=fac.min_notice_minutes,
            ),
            fac.capacity,
            fac.active,
        )
    return usage, rules


def _cell_key(instant: datetime, tz: str) -> tuple[int, int]:
    local = timeutil.to_local(instant, tz)
    return local.weekday(), local.hour


def _offered(usage: dict, rules: dict, booked_starts: dict, period: Period, start: datetime, end: datetime):
    """Add what each facility offered: capacity x length of every slot of its opening hours in
    the period, less blacked-out slots. A slot that was booked counts as offered even if the
    hours or blackouts changed since (today's opening hours stand for the whole period)."""
    blackouts = defaultdict(list)
    for b in db.session.execute(
        select(Blackout.facility_id, Blackout.starts_at, Blackout.ends_at).where(
            Blackout.facility_id.in_(list(usage)), Blackout.starts_at < end, Blackout.ends_at > start
        )
    ):
        blackouts[b.facility_id].append((b.starts_at, b.ends_at))
    days = [period.start + timedelta(days=i) for i in range(period.days)]
    for fac_id, fac in usage.items():
        rule = rules[fac_id]
        booked = booked_starts.get(fac_id, {})
        for day in days if rule.active else ():
            for slot_start, slot_end in day_slots(rule.slots, day):
                if not start <= slot_start < end or slot_start in booked:
                    continue
                if blackouts[fac_id] and blacked_out(slot_start, slot_end, blackouts[fac_id]):
                    continue
                minutes = (slot_end - slot_start).total_seconds() / 60
                fac.cells[_cell_key(slot_start, rule.timezone)].offered += rule.capacity * minutes
        # Booked slots were offered, whatever the hours say today: length from the bookings.
        for slot_start, length in booked.items():
            fac.cells[_cell_key(slot_start, rule.timezone)].offered += rule.capacity * length


# --- the district report -------------------------------------------------------------------


@dataclass
class HostUsage:
    host: HostRef
    bookings: int = 0
    minutes: float = 0.0
    enterprises: int = 0
    workers: int = 0
    weeks: dict = field(default_factory=dict)  # Monday -> bookings


@dataclass
class DistrictReport:
    period: Period
    hosts: list[HostUsage]
    weeks: list[date]
    bookings: int
    minutes: float
    enterprises: int
    workers: int

    def week_total(self, monday: date) -> int:
        return sum(h.weeks.get(monday, 0) for h in self.hosts)


def require_district(user) -> None:
    if not is_district(user):
        raise Forbidden(_l("The district report is for the district federation's admins."))


def district_report(user, period: Period) -> DistrictReport:
    require_district(user)
    hosts = {h.id: HostUsage(h) for h in report_hosts(user)}
    start, end = period.bounds()
    params = {"hosts": list(hosts), "start": start, "end": end}
    for row in queries.run("district_hosts", **params):
        usage = hosts[row.host_id]
        usage.bookings, usage.minutes = row.bookings, row.minutes or 0
        usage.enterprises, usage.workers = row.enterprises, row.workers
    for row in queries.run("district_weeks", **params):
        hosts[row.host_id].weeks[row.week_start] = row.bookings
    totals = queries.run("district_totals", **params).one()
    ordered = sorted(hosts.values(), key=lambda h: (-h.bookings, h.host.name))
    return DistrictReport(
        period=period,
        hosts=ordered,
        weeks=period.weeks(),
        bookings=totals.bookings or 0,
        minutes=totals.minutes or 0,
        enterprises=totals.enterprises or 0,
        workers=totals.workers or 0,
    )
