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


def test_booking_pages_stay_under_50_kb(phone, live_server):
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # every page pays in full
    sign_in(phone, live_server, "worker5")
    phone.goto(live_server + "/")
    day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=1)
    phone.goto(live_server + "/facilities/")
    facility_path = phone.locator("[data-testid=facility]").first.get_attribute("href")
    pages = ["/", "/facilities/", f"{facility_path}?date={day}", "/facilities/find?kind=badminton&when=tomorrow",
             "/bookings/", "/quotas/me"]
    phone.goto(live_server + f"{facility_path}?date={day}")
    bookable = phone.locator("[data-testid=slot][data-bookable='1']")
    if bookable.count():
        pages.append(bookable.first.get_attribute("href"))
        phone.goto(live_server + pages[-1])
        phone.click("[data-testid=confirm-booking]")  # then the booking page, with its QR code
        phone.wait_for_load_state()
        if re.search(r"/bookings/\d+$", phone.url):
            pages.append(phone.url[len(live_server):])
    measured = {}
    for path in pages:
        size, names = weight(phone, live_server + path)
        assert "app.css" in " ".join(names), names  # the cache really was off: the CSS came too
        measured[path] = size
        assert size < BUDGET, f"{path}: {size} bytes gzipped ({names})"
    print("gzipped page weights:", measured)
