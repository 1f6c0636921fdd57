"""Report pages and CSV exports through the test client: figures, permissions, bad input, CSV
encoding (BOM, quoting, formula injection, Chinese file names). Pages are read in English."""

import csv
import io
from urllib.parse import quote, unquote

import pytest

from tests import factories as f
from tests import world as w
from tests.helpers import WebClient
from tests.reports_data import book
from tests.world import local

NOV = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False)
    world.hostadmin = f.user("hostadmin", roles=[("host_admin", world.host)])
    world.district = f.user("district", roles=[("district_admin", f.org("区总工会", kind="federation"))])
    # An enterprise whose name is a formula, with a comma and a quote in it for good measure.
    world.evil = f.org('=HYPERLINK("http://x","点我"),有限公司')
    world.evil_worker = f.user("evil_worker", world.evil)
    book(world.court, world.worker, local(2026, 11, 25, 19), status="checked_in")
    book(world.court, world.worker2, local(2026, 11, 25, 20), status="no_show")
    book(world.gym, world.evil_worker, local(2026, 11, 26, 10))
    book(world.other_court, world.outsider, local(2026, 11, 26, 19))
    return world


def signed_in(client, username):
    client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    assert client.login(username).status_code == 302
    return client


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))


def test_host_report_page_shows_the_figures_and_charts(client, world):
    signed_in(client, "hostadmin")
    page = client.get("/reports/host", query_string=NOV)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Enterprises served in this period: 2 · workers: 3" in html
    assert html.count('data-testid="heatmap"') == 2  # court and gym
    assert 'data-testid="bars"' in html
    assert "50%" in html  # the court's no-show rate: one no-show, one check-in
    # The formula-named enterprise is escaped in the page and in the SVG.
    assert '=HYPERLINK("http' not in html
    assert "=HYPERLINK(&#34;http" in html
    assert world.other_host.name not in html


def test_host_report_defaults_to_this_month_and_the_admins_host(client, world):
    signed_in(client, "hostadmin")
    page = client.get("/reports/host")
    assert page.status_code == 200
    assert world.host.name in page.get_data(as_text=True)


def test_home_page_links_to_the_reports(client, world):
    signed_in(client, "hostadmin")
    assert 'href="/reports/host"' in client.get("/").get_data(as_text=True)
    district = signed_in(WebClient(client.app), "district")
    html = district.get("/").get_data(as_text=True)
    assert 'href="/reports/district"' in html


@pytest.mark.parametrize("username", ["worker", "entadmin", "staff"])
def test_reports_are_forbidden_to_workers_enterprise_admins_and_staff(client, world, username):
    signed_in(client, username)
    for path in (
        "/reports/host",
        "/reports/district",
        "/reports/host.csv?table=enterprises",
        "/reports/district.csv?table=hosts",
        "/reports/",
    ):
        assert client.get(path).status_code == 403, path


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/reports/host")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_hosts_report_is_not_found(client, world):
    signed_in(client, "hostadmin")
    assert client.get("/reports/host", query_string={"host_id": world.other_host.id}).status_code == 404
    assert (
        client.get(
            "/reports/host.csv", query_string={"host_id": world.other_host.id, "table": "enterprises"}
        ).status_code
        == 404
    )
    assert client.get("/reports/district").status_code == 403


def test_district_admin_sees_any_host_and_the_district(client, world):
    signed_in(client, "district")
    page = client.get("/reports/host", query_string={"host_id": world.other_host.id, **NOV})
    assert page.status_code == 200
    assert "Enterprises served in this period: 1 · workers: 1" in page.get_data(as_text=True)
    district = client.get("/reports/district", query_string=NOV)
    html = district.get_data(as_text=True)
    assert district.status_code == 200
    assert 'data-testid="trend"' in html and "<polyline" in html
    assert "Enterprises served: 2 · workers: 3 · bookings: 3 · hours: 3" in html  # the first host
    assert client.get("/reports/").headers["Location"].endswith("/reports/district")


@pytest.mark.parametrize(
    "query, message",
    [
        ({"from": "2026-11-31", "to": "2026-12-01"}, "was not understood"),
        ({"from": "", "to": ""}, "Choose both dates"),
        ({"from": "2026-11-01"}, "Choose both dates"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "ends before it starts"),
        ({"from": "2025-01-01", "to": "2026-11-30"}, "at most 400 days"),
        ({"from": "<script>alert(7)</script>", "to": "2026-11-30"}, "was not understood"),
    ],
)
def test_bad_periods_get_a_clear_message(client, world, query, message):
    signed_in(client, "district")
    for path in ("/reports/host", "/reports/district"):
        page = client.get(path, query_string=query)
        assert page.status_code == 400, path
        assert message in page.get_data(as_text=True)
        assert "<script>alert(7)" not in page.get_data(as_text=True)
    for path, table in (("/reports/host.csv", "heatmap"), ("/reports/district.csv", "weeks")):
        response = client.get(path, query_string={**query, "table": table})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_unknown_or_malformed_host_gets_a_clear_message(client, world):
    signed_in(client, "district")
    page = client.get("/reports/host", query_string={"host_id": 999999})
    assert page.status_code == 404
    assert "There is no host with that number." in page.get_data(as_text=True)
    page = client.get("/reports/host", query_string={"host_id": "abc"})
    assert page.status_code == 400
    assert "The host was not understood." in page.get_data(as_text=True)
    assert client.get("/reports/host.csv", query_string={"host_id": 999999, "table": "heatmap"}).status_code == 400
    assert client.get("/reports/host.csv", query_string={"table": "nope"}).status_code == 400


def test_enterprise_csv_has_bom_quoting_and_no_formulas(client, world):
    signed_in(client, "hostadmin")
    response = client.get("/reports/host.csv", query_string={**NOV, "table": "enterprises"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = read_csv(response)
    assert rows[0] == ["Enterprise", "Bookings", "Hours", "Workers"]
    by_name = {r[0]: r[1:] for r in rows[1:]}
    assert by_name[world.ent.name] == ["2", "2.0", "2"]
    # The formula became text: a leading apostrophe; the comma and quotes survive csv quoting.
    assert by_name["'" + world.evil.name] == ["1", "1.0", "1"]
    assert '"\'=HYPERLINK(""http://x"",""点我""),有限公司"' in response.get_data()[3:].decode()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="host-')
    assert "filename*=UTF-8''" + quote(world.host.name) in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith(world.host.name + "-enterprises-2026-11-01")


def test_facility_and_heatmap_csv(client, world):
    signed_in(client, "hostadmin")
    rows = read_csv(client.get("/reports/host.csv", query_string={**NOV, "table": "facilities"}))
    court = next(r for r in rows if r[0] == world.court.name)
    header = rows[0]
    assert court[header.index("Checked in")] == "1" and court[header.index("No-shows")] == "1"
    assert court[header.index("No-show rate (%)")] == "50.0"
    assert rows[-1][0] == "All facilities" and rows[-1][header.index("Bookings")] == "3"

    rows = read_csv(
        client.get("/reports/host.csv", query_string={"from": "2026-11-25", "to": "2026-11-25", "table": "heatmap"})
    )
    cells = {(r[0], r[1], r[2]): r[3:] for r in rows[1:]}
    assert cells[(world.court.name, "Wed", "19:00")] == ["1.0", "1.0", "100.0"]
    assert cells[(world.court.name, "Wed", "08:00")] == ["1.0", "0.0", "0.0"]
    assert len([k for k in cells if k[0] == world.court.name]) == 14  # 08:00-22:00 on one Wednesday


def test_district_csvs(client, world):
    signed_in(client, "district")
    response = client.get("/reports/district.csv", query_string={**NOV, "table": "hosts"})
    rows = read_csv(response)
    assert rows[0] == ["Host", "Enterprises served", "Workers served", "Bookings", "Hours"]
    by_host = {r[0]: r[1:] for r in rows[1:]}
    assert by_host[world.host.name] == ["2", "3", "3", "3.0"]
    assert by_host[world.other_host.name] == ["1", "1", "1", "1.0"]
    assert by_host["District"] == ["3", "4", "4", "4.0"]
    assert 'filename="district-hosts-2026-11-01_2026-11-30.csv"' in response.headers["Content-Disposition"]

    rows = read_csv(client.get("/reports/district.csv", query_string={**NOV, "table": "weeks"}))
    assert rows[0][:3] == ["Week", "Starts", "District"]
    weeks = {r[0]: r for r in rows[1:]}
    assert list(weeks)[0] == "2026-W44" and list(weeks)[-1] == "2026-W49"
    assert weeks["2026-W48"][2] == "4"
    assert weeks["2026-W47"][2] == "0"
    assert client.get("/reports/district.csv", query_string={"table": "x"}).status_code == 400
