"""Host staff on a phone: a worker's court booking waits in Geely's Approvals; staff approve it."""

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from booking.demo import DEMO_PASSWORD
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
NINGBO = timezone(timedelta(hours=8))


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept-Language", "en")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def token_for(base, username):
    status, body = call(base, "POST", "/api/v1/auth/token", {"username": username, "password": DEMO_PASSWORD})
    assert status == 200, body
    return body["token"]


def book_geely_court_tomorrow_evening(base):
    """worker1 books a Geely badminton court tomorrow evening (through the API).

    The live server is shared by the whole e2e session, so a slot or worker1's weekly cap may
    already be taken by another test: fall back to the next court, hour or colleague.
    """
    tomorrow = (datetime.now(NINGBO) + timedelta(days=1)).date()
    for username in ("worker1", "worker2", "worker3", "worker4"):
        token = token_for(base, username)
        status, facilities = call(base, "GET", "/api/v1/facilities", token=token)
        assert status == 200, facilities
        courts = [
            f
            for f in facilities
            if f["kind"] == "badminton" and f["requires_approval"] and f["host"]["name"].startswith("吉利")
        ]
        assert courts, facilities
        for hour in (19, 20):
            for court in courts:
                start = f"{tomorrow.isoformat()}T{hour:02d}:00:00+08:00"
                status, body = call(
                    base, "POST", "/api/v1/reservations", {"facility_id": court["id"], "start": start}, token=token
                )
                if status == 201:
                    assert body["status"] == "pending"
                    return token, body
    pytest.fail("no Geely court slot left tomorrow evening")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_geely_staff_approves_a_court_booking_on_a_phone(phone, browser, live_server, tmp_path):
    worker_token, booking = book_geely_court_tomorrow_evening(live_server)
    rid = booking["id"]

    sign_in(phone, live_server, "geely")
    phone.goto(live_server + "/")
    phone.locator(".bottom-nav a[href='/staff/pending']").click()
    phone.wait_for_url(live_server + "/staff/pending")
    item = phone.locator(f"[data-testid=pending-item][data-id='{rid}']")
    item.wait_for()
    assert int(phone.locator("[data-testid=pending-count]").inner_text()) >= 1
    assert "宁波海顺模具有限公司" in item.inner_text()
    assert "19:00" in item.inner_text() or "20:00" in item.inner_text()
    phone.screenshot(path=str(tmp_path / "pending.png"), full_page=True)
    assert no_horizontal_scroll(phone)
    approve = item.locator("[data-testid=approve]")
    assert approve.bounding_box()["height"] >= 44

    approve.click()
    phone.wait_for_url(live_server + "/staff/pending")
    phone.locator(".flash-success").wait_for()
    assert phone.locator(f"[data-testid=pending-item][data-id='{rid}']").count() == 0

    status, body = call(live_server, "GET", f"/api/v1/reservations/{rid}", token=worker_token)
    assert status == 200 and body["status"] == "confirmed"

    # It is on tomorrow's schedule, confirmed.
    phone.goto(f"{live_server}/staff/today?date={booking['start'][:10]}")
    row = phone.locator(f"[data-testid=booking][data-id='{rid}']")
    row.wait_for()
    assert row.locator("[data-testid=status]").inner_text() in ("已确认", "Confirmed")
    phone.screenshot(path=str(tmp_path / "today.png"), full_page=True)
    assert no_horizontal_scroll(phone)

    # The worker, on their own phone, sees it confirmed and is told so.
    from tests.e2e.conftest import PHONE

    context = browser.new_context(**PHONE)
    worker = context.new_page()
    sign_in(worker, live_server, booking["user"]["username"])
    worker.goto(live_server + "/")
    worker.goto(f"{live_server}/bookings/{rid}")
    assert worker.locator("[data-testid=booking-page]").get_attribute("data-status") == "confirmed"
    worker.goto(f"{live_server}/bookings/notifications")
    assert "您的预约已通过审批。" in worker.locator("main").inner_text()
    context.close()


def test_staff_pages_fit_a_narrow_phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    try:
        sign_in(page, live_server, "geely")
        page.goto(live_server + "/")
        for path in ("/staff/pending", "/staff/today"):
            page.goto(live_server + path)
            assert no_horizontal_scroll(page), path
        page.locator("[data-testid=facility] .st-facility-head a").first.click()
        page.locator("[data-testid=blackout-form]").wait_for()
        assert no_horizontal_scroll(page)
    finally:
        context.close()
