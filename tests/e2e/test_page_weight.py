"""On a phone, weight is speed: every booking page stays under 50 KB gzipped, all it loads included.

Measured the way a phone pays for it: each response the page loads (HTML, CSS, JS, images,
fonts) gzipped at level 6, added up. LibreBooking's phone schedule pulls 374 KB; MRBS ~150 KB.
"""

import gzip
import re
from datetime import timedelta

import pytest

from booking import timeutil
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
BUDGET = 50 * 1024


def weight(page, url: str) -> tuple[int, list[str]]:
    """Gzipped bytes of everything a load of `url` fetches, with the browser cache off."""
    loaded = []

    def collect(response):
        loaded.append(response)

    page.on("response", collect)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", collect)
    total, names = 0, []
    for response in loaded:
        try:
            body = response.body()
        except Exception:  # a redirect has no body
            continue
        total += len(gzip.compress(body, 6))
        names.append(response.url.rsplit("/", 1)[-1][:40])
    return total, names


def bookable_slot(page, base, days=range(1, 7)) -> tuple[str, str]:
    """(facility day path, slot link) of a slot confirmed at once, on the first day with one."""
    page.goto(base + "/facilities/")
    facilities = [
        a.get_attribute("href")
        for a in page.locator("[data-testid=facility]").all()
        if a.locator("[data-testid=needs-approval]").count() == 0
    ]
    for offset in days:
        day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=offset)
        for path in facilities:
            page.goto(f"{base}{path}?date={day}")
            slot = page.locator("[data-testid=slot][data-bookable='1']")
            if slot.count():
                return f"{path}?date={day}", slot.last.get_attribute("href")
    raise AssertionError("no slot confirmed at once is bookable in the next days")  # never a silent pass


def test_booking_pages_stay_under_50_kb(phone, live_server):
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # every page pays in full
    sign_in(phone, live_server, "worker5")
    day_path, slot_path = bookable_slot(phone, live_server)
    pages = [
        "/",
        "/facilities/",
        day_path,
        "/facilities/find?kind=badminton&when=tomorrow",
        "/bookings/",
        "/quotas/me",
        slot_path,
    ]
    phone.goto(live_server + slot_path)
    phone.click("[data-testid=confirm-booking]")  # then the booking page, with its QR code
    phone.wait_for_load_state()
    assert re.search(r"/bookings/\d+$", phone.url), phone.url
    pages.append(phone.url[len(live_server) :])
    measured = {}
    for path in pages:
        size, names = weight(phone, live_server + path)
        assert "app.css" in " ".join(names), names  # the cache really was off: the CSS came too
        measured[path] = size
        assert size < BUDGET, f"{path}: {size} bytes gzipped ({names})"
    print("gzipped page weights:", measured)


PATH_BUDGET = 50 * 1024


def wire_bytes(context) -> list:
    """Every response this phone receives (pages, files, the service worker's fetches), with
    its bytes on the wire as Chromium counts them: headers plus the body as sent (compressed)."""
    seen = []

    def finished(request):
        sizes = request.sizes()
        seen.append((request.url, sizes["responseHeadersSize"] + sizes["responseBodySize"]))

    context.on("requestfinished", finished)
    return seen


def test_worker_path_from_sign_in_to_a_confirmed_code_stays_under_50_kb(browser, live_server):
    """A cold phone (nothing cached, no service worker yet): sign in, open a facility, pick a
    slot, confirm, and hold the code. Then the same again on the now warm phone."""
    from tests.e2e.conftest import PHONE

    phone = {**PHONE, "viewport": {"width": 360, "height": 780}}
    probe = browser.new_context(**phone)  # finds a free slot; the phone under test never sees it
    try:
        page = probe.new_page()
        sign_in(page, live_server, "worker34")
        day_path, slot_path = bookable_slot(page, live_server, days=range(1, 4))
    finally:
        probe.close()
    context = browser.new_context(**phone)
    page = context.new_page()
    try:
        seen = wire_bytes(context)
        sign_in(page, live_server, "worker34")
        assert page.url == live_server + "/facilities/"  # a worker lands on booking (item 7)
        page.goto(live_server + day_path)  # the worker taps the facility, then the day
        page.click(f"a[href='{slot_path}']")
        page.wait_for_load_state()
        page.click("[data-testid=confirm-booking]")
        page.wait_for_url(re.compile(r".*/bookings/\d+$"))
        page.locator("[data-testid=qr] svg").wait_for()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)  # the service worker's own fetches finish too
        cold = sum(size for _, size in seen)
        by_url = sorted(seen, key=lambda item: -item[1])
        print(f"cold path: {cold} bytes", by_url[:8])
        assert not any("scan" in url or "jsQR" in url for url, _ in seen)  # no staff scanner on a worker's phone
        assert cold <= PATH_BUDGET, (cold, by_url[:8])

        # Warm: the same steps for a later slot; the static files come from the phone itself.
        seen.clear()
        page.goto(live_server + day_path)
        page.locator("[data-testid=slot][data-bookable='1']").first.click()
        page.wait_for_load_state()
        page.click("[data-testid=confirm-booking]")
        page.wait_for_load_state("networkidle")
        warm = sum(size for _, size in seen)
        print(f"warm path: {warm} bytes", seen)
        assert sum(size for url, size in seen if "/static/" in url) == 0  # from the phone itself
        assert warm <= cold // 2
    finally:
        context.close()
