"""On a phone: a worker joins the waitlist of a full court slot from the grid (候补), sees their
place in line; another worker cancels; the freed place is booked for them at once."""

import re
from datetime import timedelta

import pytest

from booking import timeutil
from booking.extensions import db
from booking.reservations import services as reservations
from tests import world as w
from tests.e2e.conftest import eventually, own_site, sign_in

pytestmark = pytest.mark.e2e
TZ = "Asia/Shanghai"


@pytest.fixture
def server(sqlite_template, tmp_path):
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=1)
    start = timeutil.local_to_utc(day, 19 * 60, TZ)

    def build():
        world = w.build(court_approval=False)
        first = reservations.book(world.worker2, world.court.id, start)
        return {"court": world.court.id, "first": first.id, "worker2": world.worker2.id, "day": day}

    with own_site(sqlite_template, tmp_path, build) as site:
        yield site


def test_join_the_line_then_a_freed_place_is_booked(phone, server):
    app, base, ids = server
    sign_in(phone, base, "worker", "secret123")
    phone.goto(f"{base}/facilities/{ids['court']}?date={ids['day'].isoformat()}")
    full = phone.locator(f"[data-testid=slot][data-reason=slot_full][data-start^='{ids['day'].isoformat()}T19:00']")
    join = full.locator("[data-testid=join-waitlist]")
    assert join.inner_text().strip() == "候补"
    join.click()
    phone.wait_for_load_state()
    assert phone.locator("[data-testid=auto-book]").is_checked()
    phone.click("[data-testid=join-waitlist-submit]")
    phone.wait_for_load_state()
    entry = phone.locator("[data-testid=waitlist-entry]")
    assert entry.get_attribute("data-status") == "waiting"
    assert "第 1 位" in entry.locator("[data-testid=position]").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    with app.app_context():  # the other worker cancels: the place is freed
        from booking.accounts.models import User

        reservations.cancel(db.session.get(User, ids["worker2"]), ids["first"])
        db.session.remove()

    phone.reload()
    entry = phone.locator("[data-testid=waitlist-entry]")
    assert entry.get_attribute("data-status") == "booked"
    entry.locator("[data-testid=booking-link]").click()
    phone.wait_for_load_state()
    assert phone.locator("[data-testid=booking-page]").get_attribute("data-status") == "confirmed"


def test_an_offer_counts_down_and_is_accepted(phone, server):
    app, base, ids = server
    with app.app_context():  # worker waits with "ask me first"; the place frees
        from booking.accounts.models import User
        from booking.waitlist import services as waitlist

        worker = db.session.scalar(db.select(User).where(User.username == "worker"))
        start = timeutil.local_to_utc(ids["day"], 19 * 60, TZ)
        waitlist.join(worker, ids["court"], start, auto_book=False)
        reservations.cancel(db.session.get(User, ids["worker2"]), ids["first"])
        db.session.remove()
    sign_in(phone, base, "worker", "secret123")
    phone.goto(base + "/waitlist/")
    entry = phone.locator("[data-testid=waitlist-entry]")
    assert entry.get_attribute("data-status") == "offered"
    countdown = entry.locator("[data-testid=countdown]")
    eventually(phone, "document.querySelector('[data-testid=countdown]').textContent.includes(':')")
    assert re.fullmatch(r"\d{1,2}:[0-5]\d", countdown.inner_text())  # m:ss left of the host's 15 minutes
    assert int(countdown.inner_text().split(":")[0]) < 15
    entry.locator("[data-testid=accept]").click()
    phone.wait_for_load_state()
    assert phone.locator("[data-testid=booking-page]").get_attribute("data-status") == "confirmed"
