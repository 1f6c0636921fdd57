"""Every web form posted with a valid CSRF token and nasty values; query strings and path ids too.

Values mix plausible ones (real ids, dates, times) with the classes that crashed before: integers
past 64 bits, control characters, year 1 and 9999, very long text, the wrong shape. Every answer
must be a page or a redirect with a status a form may answer, never a 5xx.
"""

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from booking import timeutil
from booking.accounts.forms import LoginForm, RegisterForm
from booking.admin.forms import (
    FacilityForm,
    GrantForm,
    NewOrganizationForm,
    OrganizationForm,
    RetireForm,
    StaffForm,
    VenueForm,
)
from booking.quotas.forms import AgreementForm, EndForm, LimitsForm, PolicyForm
from booking.reservations.forms import BookingForm
from booking.reservations.series_views import SeriesForm
from booking.reservations.staff_forms import BlackoutForm, BulkDecisionForm, ReasonForm
from tests import factories as f
from tests.fuzz.conftest import FORM_EXAMPLES
from tests.helpers import CSRF_RE, WebClient
from tests.world import TZ

PAGE_STATUSES = {200, 302, 303, 400, 401, 403, 404, 405, 409, 422}
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[0m",
    "\x7f",
    "\u0085",
    "line\nbreak",
    "\t",
    str(2**63),
    str(2**64),
    "9" * 40,
    str(2**31),
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "²",
    "٣",
    "１２",
    "x" * 5000,
    "0001-01-01",
    "9999-12-31",
    "9999-12-24",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:00:00+08:00",
    "2026-02-30",
    "25:61",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
]
# One value of each class that crashed before: NUL, past 64 bits, year 1, year 9999, very long text.
CLASSES = ["a\x00b", str(2**64), "0001-01-01", "9999-12-24", "x" * 5000]
PLAUSIBLE = [
    "1",
    "2",
    "3",
    "4",
    "52",
    "2026-12-02",
    "2026-12-24",
    "19:00",
    "08:00-22:00",
    "Asia/Shanghai",
    "badminton",
    "gym",
    "enterprise",
    "all",
    "some",
    "cancel",
    "keep",
    "host_staff",
    "worker",
    "demo1234",
    "secret123",
    "维修",
    "HSMJ2345",
]
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=30),
    st.integers().map(str),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
)


def fields_of(form_class) -> list[str]:
    names = {
        name for klass in form_class.__mro__ for name, value in vars(klass).items() if isinstance(value, UnboundField)
    }
    return sorted(names - {"csrf_token"})


def form_data(form_class, base: dict):
    """A valid filling of the form with one to three fields replaced by nasty values (or dropped),
    so the nasty value gets past the other fields' checks and reaches the service and database."""
    names = fields_of(form_class)
    value = st.one_of(VALUES, st.lists(VALUES, max_size=3), st.just(None))

    def mutate(changes):
        data = dict(base)
        for name, new in changes.items():
            if new is None:
                data.pop(name, None)
            else:
                data[name] = new
        return data

    return st.dictionaries(st.sampled_from(names), value, min_size=1, max_size=3).map(mutate)


@pytest.fixture
def district_world(fuzz_world):
    fed = f.org("北仑区总工会", kind="federation")
    f.user("district", roles=[("district_admin", fed)])
    return fuzz_world


def _signed_in(app, username):
    client = WebClient(app)
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    if username:
        r = client.http.post("/login", data={"identifier": username, "password": "secret123", "csrf_token": token})
        assert r.status_code == 302
    return client, token


def _forms(w):
    """(who, path, form class, a valid filling) for every form of the app."""
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=2)
    start = timeutil.isoformat_local(timeutil.local_to_utc(day, 19 * 60, TZ), TZ)
    r1, r3 = 1, 3  # the fuzz world's bookings: the worker's gym booking, the worker's pending court booking
    reason = {"reason": "满了"}
    facility = {
        "name": "羽毛球场 1 号",
        "kind": "badminton",
        "capacity": "1",
        "slot_minutes": "60",
        "window_days": "7",
        "window_opens": "08:00",
        "min_notice_minutes": "30",
        "cancel_cutoff_minutes": "120",
        "checkin_before_minutes": "15",
        "checkin_after_minutes": "15",
        "requires_approval": "y",
        "description": "",
        **{f"hours_{d}": "08:00-22:00" for d in range(7)},
    }
    organization = {"name": "海顺模具", "kind": "enterprise", "parent_id": "", "headcount": "10"}
    return [
        (None, "/login", LoginForm, {"identifier": "nobody", "password": "secret123"}),
        (
            None,
            "/register",
            RegisterForm,
            {
                "invite_code": "HSMJ2345",
                "username": "newbie",
                "display_name": "新人",
                "phone": "",
                "password": "long enough 1",
            },
        ),
        ("worker", "/bookings/new", BookingForm, {"facility_id": str(w.gym.id), "start": start, "party_size": "1"}),
        (
            "entadmin",
            "/bookings/series/",
            SeriesForm,
            {
                "facility_id": str(w.gym.id),
                "first_day": day.isoformat(),
                "at": "20:00",
                "weeks": "2",
                "party_size": "1",
            },
        ),
        ("staff", "/staff/pending/bulk", BulkDecisionForm, {"ids": [str(r3)], "reject": "1", **reason}),
        ("staff", f"/staff/reservations/{r3}/reject", ReasonForm, reason),
        ("staff", f"/staff/reservations/{r1}/cancel", ReasonForm, reason),
        (
            "staff",
            f"/staff/facilities/{w.court.id}/blackouts",
            BlackoutForm,
            {"day": day.isoformat(), "starts": "08:00", "ends": "09:00", "reason": "维修", "weeks": "1"},
        ),
        (
            "hostadmin",
            f"/admin/hosts/{w.host.id}/venues/new",
            VenueForm,
            {"name": "新场馆", "address": "北仑区", "timezone": "Asia/Shanghai"},
        ),
        ("hostadmin", f"/admin/facilities/{w.court.id}/edit", FacilityForm, facility),
        ("hostadmin", f"/admin/facilities/{w.gym.id}/retire", RetireForm, {"on_affected": "keep", "notice": ""}),
        (
            "hostadmin",
            f"/admin/hosts/{w.host.id}/staff",
            StaffForm,
            {"username": "newstaff", "display_name": "新员工", "password": "long enough 1", "role": "host_staff"},
        ),
        (
            "hostadmin",
            f"/admin/hosts/{w.host.id}/staff/grant",
            GrantForm,
            {"username": "worker2", "role": "host_staff"},
        ),
        (
            "hostadmin",
            "/quotas/agreements/new",
            AgreementForm,
            {
                "host_id": str(w.host.id),
                "enterprise_id": str(w.other_ent.id),
                "scope": "all",
                "valid_from": day.isoformat(),
                "hours": "8",
                "bookings_per_worker": "2",
            },
        ),
        ("hostadmin", f"/quotas/agreements/{w.agreement.id}", LimitsForm, {"hours": "8", "bookings_per_worker": "2"}),
        (
            "hostadmin",
            f"/quotas/agreements/{w.agreement.id}/end",
            EndForm,
            {"valid_until": (day + timedelta(days=30)).isoformat()},
        ),
        (
            "hostadmin",
            f"/quotas/hosts/{w.host.id}/no-show-policy",
            PolicyForm,
            {"no_show_limit": "3", "within_days": "30", "suspend_days": "7"},
        ),
        ("district", "/admin/district/organizations/new", NewOrganizationForm, {**organization, "name": "新企业"}),
        ("district", f"/admin/district/organizations/{w.ent.id}", OrganizationForm, organization),
        (
            "district",
            f"/admin/district/organizations/{w.ent.id}/admins/grant",
            GrantForm,
            {"username": "worker2", "role": "enterprise_admin"},
        ),
    ]


def _run(strategy, send, tally, label):
    seen = []

    @settings(
        max_examples=FORM_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy)
    def run(data):
        response = send(data)
        tally(label, response.status_code)
        if response.status_code not in PAGE_STATUSES:
            seen.append(f"{label}: {response.status_code} for {data!r:.300}")
            raise AssertionError(seen[-1])

    try:
        run()
    except AssertionError:
        pass
    return seen[:1]


def test_every_form_refuses_nasty_values_without_a_5xx(app, district_world, tally):
    failures, clients = [], {}
    for who, path, form_class, base in _forms(district_world):
        if who not in clients:
            clients[who] = _signed_in(app, who)
        client, token = clients[who]

        def send(data, path=path, client=client, token=token):
            return client.http.post(path, data={**data, "csrf_token": token})

        # Every field once with each crash class, the rest of the form valid...
        for name in fields_of(form_class):
            for value in CLASSES:
                data = {**base, name: value}
                response = send(data)
                tally(f"POST {path}", response.status_code)
                if response.status_code not in PAGE_STATUSES:
                    failures.append(f"POST {path}: {response.status_code} for {data!r:.300}")
        # ...then generated mixtures.
        failures += _run(form_data(form_class, base), send, tally, f"POST {path}")
    assert not failures, "\n".join(failures)


QUERIES = [
    ("worker", "/facilities/", ["date", "kind", "host"]),
    ("worker", "/facilities/finder", ["kind", "when"]),
    ("worker", "/bookings/new", ["facility_id", "start"]),
    ("worker", "/bookings/", ["tab"]),
    ("staff", "/staff/today", ["date", "facility_id"]),
    ("hostadmin", "/admin/audit", ["page"]),
    ("hostadmin", "/reports/host", ["host_id", "from", "to"]),
    ("hostadmin", "/reports/host.csv", ["host_id", "from", "to", "table"]),
    ("hostadmin", "/quotas/", ["week"]),
    ("district", "/reports/district", ["from", "to"]),
]


def test_query_strings_and_path_ids_never_answer_5xx(app, district_world, tally):
    failures, clients = [], {}
    for who, path, names in QUERIES:
        if who not in clients:
            clients[who] = _signed_in(app, who)
        client, _ = clients[who]
        strategy = st.fixed_dictionaries({}, optional={n: VALUES for n in names})
        failures += _run(strategy, lambda q, p=path, c=client: c.http.get(p, query_string=q), tally, f"GET {path}")
    # Every route with an id in its path, with ids from the world's to far past 64 bits.
    staff, _ = clients["hostadmin"]
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "GET" in r.methods
        and "int" in str(r._converters)
        or any(type(c).__name__ == "IdConverter" for c in r._converters.values())
    ]
    ids = st.one_of(st.integers(min_value=0, max_value=50), st.integers(min_value=2**31 - 2, max_value=2**80))
    for rule in rules:
        if "GET" not in rule.methods:
            continue
        names = list(rule.arguments)
        strategy = st.fixed_dictionaries({n: ids if n.endswith("id") else st.just("approve") for n in names})

        def send(values, rule=rule):
            path = rule.rule
            for name, value in values.items():
                path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
            path = path.replace("<any(approve, reject):decision>", "approve")
            return staff.http.get(path)

        failures += _run(strategy, send, tally, f"GET {rule.rule}")
    # The calendar feed link, without signing in.
    anonymous = WebClient(app)
    key = st.builds(
        lambda n, s: f"{n}-{s}",
        st.one_of(st.integers(min_value=0, max_value=2**80), st.sampled_from(NASTY)),
        st.text(min_size=0, max_size=40),
    )
    failures += _run(key, lambda k: anonymous.http.get(f"/feeds/{k}.ics"), tally, "GET /feeds/<key>.ics")
    assert not failures, "\n".join(failures)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(NASTY),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
SCAN_BODIES = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {},
        optional={
            "code": st.one_of(st.sampled_from(NASTY + PLAUSIBLE), JSON_VALUES),
            "nonce": st.one_of(st.sampled_from(NASTY), JSON_VALUES),
            "device": st.sampled_from(NASTY),
            "scanned_offline_at": st.one_of(
                st.sampled_from(NASTY),
                st.datetimes().map(lambda d: d.isoformat() + "+14:00"),
                st.datetimes().map(lambda d: d.isoformat() + "-12:00"),
            ),
        },
    ),
)


def test_the_scanners_json_endpoint_refuses_nasty_bodies(app, district_world, tally):
    client, token = _signed_in(app, "staff")
    failures = _run(
        SCAN_BODIES,
        lambda body: client.http.post(
            "/scan/checkins", data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token}
        ),
        tally,
        "POST /scan/checkins",
    )
    failures += _run(
        st.integers(min_value=1, max_value=5000),
        lambda depth: client.http.post(
            "/scan/checkins",
            data="[" * depth + "]" * depth,
            content_type="application/json",
            headers={"X-CSRFToken": token},
        ),
        tally,
        "POST /scan/checkins (nested)",
    )
    assert not failures, "\n".join(failures)
