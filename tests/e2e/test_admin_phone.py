"""A host admin sets up a new facility on a phone; a worker books it the same minute."""

from datetime import datetime, timedelta, timezone

import pytest

from booking import demo
from tests.e2e.conftest import sign_in
from tests.e2e.test_staff_approval import call, no_horizontal_scroll, token_for

pytestmark = pytest.mark.e2e
NINGBO = timezone(timedelta(hours=8))
NAME = "乒乓球室"


def lingfeng_workers() -> list[str]:
    """Workers of enterprises in the Lingfeng community union: the centre is open to all of them."""
    lingfeng = {i for i, (_, parent, _) in enumerate(demo.ENTERPRISES) if parent == demo.LINGFENG_UNION}
    indexes = list(range(len(demo.ENTERPRISES)))
    return [f"worker{n}" for n in range(1, 41) if demo.worker_enterprise(n, indexes) in lingfeng]


def test_lingfeng_sets_up_table_tennis_on_a_phone_and_a_worker_books_it(phone, live_server, tmp_path):
    sign_in(phone, live_server, "lingfeng")
    phone.goto(live_server + "/")
    phone.click("a[href='/admin/']")
    phone.wait_for_url(live_server + "/admin/")
    phone.screenshot(path=str(tmp_path / "admin-index.png"), full_page=True)
    assert no_horizontal_scroll(phone)

    phone.locator("[data-testid=add-facility]").first.click()
    phone.wait_for_selector("[data-testid=facility-form]")
    assert no_horizontal_scroll(phone)
    phone.fill("#name", NAME)
    phone.select_option("#kind", "table_tennis")
    phone.fill("#capacity", "4")
    phone.fill("#hours_5", "09:00-12:00, 14:00-21:00")
    phone.fill("#hours_6", "09:00-12:00, 14:00-24:00")
    phone.screenshot(path=str(tmp_path / "facility-form.png"), full_page=True)
    phone.click("[data-testid=save-facility]")
    phone.wait_for_url(live_server + "/admin/")
    row = phone.locator("[data-testid=facility]", has_text=NAME)
    row.wait_for()
    assert no_horizontal_scroll(phone)

    # The same minute, a worker of a Lingfeng-community enterprise books it through the API.
    tomorrow = (datetime.now(NINGBO) + timedelta(days=1)).date()
    start = f"{tomorrow.isoformat()}T15:00:00+08:00"  # open every day of the week
    for username in lingfeng_workers():
        token = token_for(live_server, username)
        status, facilities = call(live_server, "GET", "/api/v1/facilities", token=token)
        assert status == 200, facilities
        table = next((f for f in facilities if f["name"] == NAME), None)
        assert table is not None and table["capacity"] == 4 and table["kind"] == "table_tennis"
        status, body = call(
            live_server,
            "POST",
            "/api/v1/reservations",
            {"facility_id": table["id"], "start": start, "party_size": 2},
            token=token,
        )
        if status == 409 and body["error"]["code"] in ("worker_limit", "overlap"):
            continue  # this worker's week is used up by another test of the session
        assert status == 201, body
        assert body["status"] == "confirmed" and body["party_size"] == 2
        break
    else:
        pytest.fail("no Lingfeng worker could book")

    status, slots = call(
        live_server, "GET", f"/api/v1/facilities/{table['id']}/availability?date={tomorrow}", token=token
    )
    slot = next(s for s in slots["slots"] if s["start"] == start)
    assert slot["remaining"] == 2

    # The change is in the host's audit log.
    phone.goto(live_server + "/admin/audit")
    phone.locator("[data-testid=audit-entry][data-action='facility.create']").first.wait_for()
    phone.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
    assert no_horizontal_scroll(phone)
