"""An enterprise admin books the team's weekly slot on a phone and sees each week's answer."""

from datetime import timedelta

import pytest

from booking import timeutil
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_enterprise_admin_books_a_weekly_team_slot(phone, live_server):
    sign_in(phone, live_server, "entadmin")
    phone.goto(live_server + "/")
    phone.goto(live_server + "/")
    phone.locator("a.home-link[href='/bookings/series/']").click()
    phone.wait_for_load_state()
    option = phone.locator("#facility_id option", has_text="健身房").first
    phone.select_option("#facility_id", value=option.get_attribute("value"))
    day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=1)
    phone.fill("#first_day", day.isoformat())
    phone.fill("#at", "10:00")
    phone.fill("#weeks", "2")
    phone.click("button[type=submit].primary")
    phone.wait_for_load_state()
    results = phone.locator("[data-testid=series-results]")
    results.wait_for()
    text = results.inner_text()
    assert "已预约 1 / 2 周" in text  # the first week is inside the booking window
    assert "的预约将于" in text  # the second is not open yet, and it says when
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
