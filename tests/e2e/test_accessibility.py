"""axe-core (vendored by axe-playwright-python) in Chromium on every worker and staff page, in
both languages: no serious or critical violation; and the keyboard reaches what the finger does,
with a visible focus."""

import pytest

from tests.e2e.phones import PHONES, book_confirmed, new_phone, sign_in_as

pytestmark = pytest.mark.e2e

WORKER_PAGES = [
    "/facilities/",
    "/facilities/find?kind=badminton&when=tomorrow",
    "/bookings/",
    "/bookings/?tab=cancelled",
    "/",
    "/quotas/me",
    "/bookings/notifications",
    "/feeds/",
]
STAFF_PAGES = ["/staff/pending", "/staff/today", "/scan", "/", "/admin/", "/reports/host", "/admin/audit"]


def serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("phone_param", PHONES)
def test_worker_and_staff_pages_pass_axe(browser, live_server, phone_param):
    size, lang = phone_param
    found = []
    context, page = new_phone(browser, size, lang)
    try:
        page.goto(live_server + "/login")
        for path in ("/login", "/register"):
            page.goto(live_server + path)
            found += serious(page)
        user = "worker7" if lang == "zh" else "worker8"
        booking = book_confirmed(live_server, user, days=5)
        sign_in_as(page, live_server, user, lang)
        for path in WORKER_PAGES + [
            f"/bookings/{booking['id']}",
            f"/facilities/{booking['facility_id']}",
            f"/bookings/new?facility_id={booking['facility_id']}&start=x",
        ]:
            page.goto(live_server + path)
            found += serious(page)
    finally:
        context.close()
    context, page = new_phone(browser, size, lang)
    try:
        sign_in_as(page, live_server, "lingfeng", lang)
        for path in STAFF_PAGES:
            page.goto(live_server + path)
            found += serious(page)
    finally:
        context.close()
    assert found == [], "\n".join(found)


def test_keyboard_reaches_booking_with_a_visible_focus(browser, live_server):
    context, page = new_phone(browser, {"width": 360, "height": 780}, "zh")
    try:
        sign_in_as(page, live_server, "worker9", "zh")
        page.goto(live_server + "/facilities/")
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('[data-testid=facility]')"):
                break
        else:
            pytest.fail("Tab never reached a facility")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", "")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/facilities/" in page.url and page.locator("[data-testid=slots], [data-testid=closed-day]").count()
    finally:
        context.close()
