"""Issue 15 item 4 on a 360×780 phone in Chinese: Geely's staff black out a slot a worker holds,
see the conflict on the day's schedule, choose to cancel the booking, and the worker sees it
cancelled with the reason (and was told in-app). The blackout is removed at the end, as the live
server is shared by the e2e session."""

from datetime import datetime, timedelta

import pytest

from tests.e2e.phones import NINGBO, call, new_phone, no_horizontal_scroll, sign_in_as, token_for
from tests.e2e.test_accessibility import serious

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 780}
WORKER = "worker30"  # no other e2e test signs in as this one
REASON = "地板维修"


def book_geely_reading_room(base, days=5):
    token = token_for(base, WORKER)
    status, facilities = call(base, "GET", "/api/v1/facilities", token=token)
    assert status == 200, facilities
    rooms = [f for f in facilities if f["host"]["name"].startswith("吉利") and not f["requires_approval"]]
    assert rooms, facilities
    day = (datetime.now(NINGBO) + timedelta(days=days)).date()
    for hour in range(9, 21):
        status, body = call(
            base,
            "POST",
            "/api/v1/reservations",
            {"facility_id": rooms[0]["id"], "start": f"{day}T{hour:02d}:00:00+08:00"},
            token=token,
        )
        if status == 201:
            assert body["status"] == "confirmed", body
            return rooms[0]["id"], day, hour, body["id"]
    pytest.fail(f"{WORKER} could not book Geely's reading room: {body}")


def test_staff_black_out_a_booked_slot_and_cancel_it_the_worker_sees_why(browser, live_server, tmp_path):
    facility_id, day, hour, rid = book_geely_reading_room(live_server)
    staff_context, staff = new_phone(browser, PHONE, "zh")
    worker_context, worker = new_phone(browser, PHONE, "zh")
    detail = None
    try:
        sign_in_as(staff, live_server, "geely", "zh")
        staff.goto(f"{live_server}/staff/facilities/{facility_id}/blackouts")
        staff.fill("#day", day.isoformat())
        staff.fill("#starts", f"{hour:02d}:00")
        staff.fill("#ends", f"{hour + 1:02d}:00")
        staff.fill("#reason", REASON)
        staff.click("[data-testid=blackout-form] button[type=submit]")
        staff.wait_for_url(lambda url: "/staff/blackouts/" in url)
        detail = staff.url
        hit = staff.locator(f"[data-testid=affected-booking][data-id='{rid}']")
        assert hit.count() == 1
        assert staff.locator("[data-testid=keep-all]").is_visible()
        staff.screenshot(path=str(tmp_path / "blackout-choose.png"), full_page=True)
        assert no_horizontal_scroll(staff)
        found = serious(staff)

        # the day's schedule shows the closure and the booking caught in it
        staff.goto(f"{live_server}/staff/today?date={day.isoformat()}&facility_id={facility_id}")
        assert staff.locator("[data-testid=day-blackout]").first.inner_text().count(REASON) == 1
        assert staff.locator(f"[data-testid=booking][data-id='{rid}']").get_attribute("data-conflict") == "open"
        staff.screenshot(path=str(tmp_path / "today-conflict.png"), full_page=True)
        assert no_horizontal_scroll(staff)
        found += serious(staff)

        # before the staff choose, the worker already sees the time is closed
        sign_in_as(worker, live_server, WORKER, "zh")
        worker.goto(f"{live_server}/bookings/{rid}")
        assert worker.locator("[data-testid=closure]").get_attribute("data-kept") == "no"
        worker.screenshot(path=str(tmp_path / "worker-closure.png"), full_page=True)
        found += serious(worker)
        assert found == [], "\n".join(found)  # axe-core: no serious or critical violation on the new parts

        # the staff choose: cancel, with the blackout's reason
        staff.goto(detail)
        assert staff.input_value("#reason") == REASON
        staff.click("[data-testid=cancel-all]")
        staff.locator("[data-testid=no-affected]").wait_for()
        assert staff.locator(".flash-success").count() == 1
        staff.screenshot(path=str(tmp_path / "blackout-cancelled.png"), full_page=True)

        worker.goto(f"{live_server}/bookings/{rid}")
        assert worker.locator("[data-testid=booking-page]").get_attribute("data-status") == "cancelled"
        assert REASON in worker.locator("[data-testid=reason]").inner_text()
        assert worker.locator("[data-testid=qr]").count() == 0
        assert worker.locator("[data-testid=closure]").count() == 0
        worker.screenshot(path=str(tmp_path / "worker-cancelled.png"), full_page=True)
        assert no_horizontal_scroll(worker)
        worker.goto(f"{live_server}/bookings/notifications")
        assert REASON in worker.locator("main").inner_text()
        worker.screenshot(path=str(tmp_path / "worker-notice.png"), full_page=True)
    finally:
        if detail:
            staff.goto(detail)
            staff.click("[data-testid=delete-blackout]")
            staff.wait_for_url(lambda url: "/blackouts" in url and "/staff/blackouts/" not in url)
        staff_context.close()
        worker_context.close()
