"""The district admin reads the usage reports on a phone: SVG charts, no sideways page scroll.

Last month's history is written into the live server's database first (past bookings of
worker34-worker40, who no other e2e test uses), so the figures are known.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import create_app, demo, timeutil
from booking.accounts.models import User
from booking.extensions import db
from booking.facilities.models import Facility, Venue
from booking.reports.services import month_of
from tests.conftest import make_config
from tests.e2e.conftest import sign_in
from tests.e2e.test_staff_approval import no_horizontal_scroll
from tests.reports_data import TZ, book

pytestmark = pytest.mark.e2e
WORKERS = [f"worker{n}" for n in range(34, 41)]


@pytest.fixture(scope="module")
def last_month(live_server, tmp_path_factory):
    """Books Geely's and Lingfeng's facilities last month; returns the period and what was booked."""
    (path,) = tmp_path_factory.getbasetemp().glob("live[0-9]*/live.sqlite3")
    app = create_app(make_config(f"sqlite:///{path}"))
    first, last = month_of(timeutil.local_date(timeutil.utcnow(), TZ).replace(day=1) - timedelta(days=1))
    with app.app_context():
        users = db.session.scalars(select(User).where(User.username.in_(WORKERS))).all()
        facilities = db.session.execute(select(Facility, Venue.host_id).join(Venue)).all()
        geely = [fac for fac, host in facilities if fac.venue.name.startswith("吉利")]
        lingfeng = [fac for fac, host in facilities if fac.venue.name == demo.LINGFENG_CENTRE]
        for i, user in enumerate(users):
            day = first + timedelta(days=i)
            book(
                geely[i % len(geely)],
                user,
                timeutil.local_to_utc(day, 19 * 60, TZ),
                status="no_show" if i == 0 else "checked_in",
            )
            book(lingfeng[i % len(lingfeng)], user, timeutil.local_to_utc(day, 10 * 60, TZ))
        enterprises = len({u.enterprise_id for u in users})
        db.session.remove()
        db.engine.dispose()
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "workers": len(users),
        "enterprises": enterprises,
        "geely_facilities": len(geely),
    }


def figure(page, testid: str) -> str:
    return page.locator(f"[data-testid={testid}] strong").first.inner_text()


def test_district_reads_the_district_and_a_host_report_on_a_phone(phone, live_server, last_month, tmp_path):
    sign_in(phone, live_server, "district")
    phone.goto(live_server + "/")
    phone.click("a[href='/reports/district']")
    phone.wait_for_url("**/reports/district")
    assert phone.locator("svg[data-testid=trend]").count() == 1
    assert no_horizontal_scroll(phone)

    phone.goto(f"{live_server}/reports/district?from={last_month['from']}&to={last_month['to']}")
    phone.screenshot(path=str(tmp_path / "district.png"), full_page=True)
    assert no_horizontal_scroll(phone)
    trend = phone.locator("svg[data-testid=trend]")
    assert trend.is_visible()
    assert trend.locator("polyline").count() == phone.locator("[data-testid=host-row]").count() == 3
    assert int(figure(phone, "bookings")) == 2 * last_month["workers"]
    assert int(figure(phone, "workers-served")) == last_month["workers"]
    assert int(figure(phone, "enterprises-served")) == last_month["enterprises"]
    # The week table is wider than a phone: it scrolls inside its own box, not the page.
    box = phone.locator(".rp-scroll").first
    assert box.evaluate("el => el.getBoundingClientRect().right") <= 390

    phone.locator("[data-testid=host-row] a", has_text="吉利").click()
    phone.wait_for_selector("[data-testid=host-summary]")
    phone.screenshot(path=str(tmp_path / "host.png"), full_page=True)
    assert no_horizontal_scroll(phone)
    assert phone.locator("svg[data-testid=heatmap]").count() == last_month["geely_facilities"]
    assert phone.locator("svg[data-testid=bars]").is_visible()
    assert int(figure(phone, "bookings")) == last_month["workers"]
    assert figure(phone, "no-show-rate") == f"{100 / last_month['workers']:.0f}%"
    heatmap = phone.locator("svg[data-testid=heatmap]").first.bounding_box()
    assert heatmap["width"] <= 390 and heatmap["height"] > 100
