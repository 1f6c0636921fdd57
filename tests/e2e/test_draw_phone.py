"""On a phone: a worker applies for a draw court slot from the grid (申请摇号), sees the
application; the draw runs (the job); the worker sees the result (won: the booking; or on the
waitlist) and a notice."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from booking import timeutil
from booking.draw import services as draws
from booking.draw.models import Application, Draw
from booking.extensions import db
from tests import world as w
from tests.e2e.conftest import own_site, sign_in

pytestmark = pytest.mark.e2e
TZ = "Asia/Shanghai"


@pytest.fixture
def server(sqlite_template, tmp_path):
    day = timeutil.local_date(timeutil.utcnow(), TZ) + timedelta(days=3)
    start = timeutil.local_to_utc(day, 19 * 60, TZ)

    def build():
        world = w.build(court_approval=False)
        world.court.allocation = "draw"
        db.session.commit()
        draws.apply(world.worker2, world.court.id, start)  # a rival application
        return {"court": world.court.id, "day": day}

    with own_site(sqlite_template, tmp_path, build) as site:
        yield site


def test_apply_then_the_draw_tells_the_result(phone, server):
    app, base, ids = server
    sign_in(phone, base, "worker", "secret123")
    phone.wait_for_load_state()
    phone.goto(f"{base}/facilities/{ids['court']}?date={ids['day'].isoformat()}")
    tile = phone.locator(f"[data-testid=slot][data-draw='1'][data-start^='{ids['day'].isoformat()}T19:00']")
    assert "申请摇号" in tile.inner_text() and "1 人已申请" in tile.inner_text()
    tile.click()
    phone.wait_for_load_state()
    phone.click("[data-testid=apply-submit]")
    phone.wait_for_load_state()
    application = phone.locator("[data-testid=application]")
    assert application.get_attribute("data-status") == "applied"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    with app.app_context():  # the draw time passes; the job runs the draw
        db.session.execute(update(Draw).values(draw_at=timeutil.utcnow() - timedelta(minutes=1)))
        db.session.commit()
        assert draws.run_due() == 1
        from booking.accounts.models import User

        worker = db.session.scalar(select(User.id).where(User.username == "worker"))
        status = db.session.scalar(select(Application.status).where(Application.user_id == worker))
        db.session.remove()

    phone.reload()
    application = phone.locator("[data-testid=application]")
    assert application.get_attribute("data-status") == status
    if status == "won":
        application.locator("[data-testid=booking-link]").click()
        phone.wait_for_load_state()
        assert phone.locator("[data-testid=booking-page]").get_attribute("data-status") == "confirmed"
    else:
        assert status == "waitlisted"
        application.locator("[data-testid=waitlist-link]").click()
        phone.wait_for_load_state()
        assert phone.locator("[data-testid=waitlist-entry]").get_attribute("data-status") == "waiting"
    phone.goto(f"{base}/bookings/notifications")
    assert ("您中签了" if status == "won" else "这次没有中签") in phone.content()
