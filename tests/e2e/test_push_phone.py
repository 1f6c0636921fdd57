"""A worker's phone gets the push: the worker books, staff approve in their Approvals page, the
outbox sends the Web Push (encrypted for the phone's subscription, VAPID-signed) to a push
service on loopback, which hands it to the phone's service worker; Chromium shows it.

Chromium's own push service is on the internet, so the phone's subscription points at a local
receiver (tests/notify_peers.py): it checks the VAPID JWT and decrypts the payload with the
subscription's keys, as a push service and the browser would, and delivers the decrypted
message to the service worker over the DevTools protocol (ServiceWorker.deliverPushMessage).
"""

import json
from datetime import timedelta

import pytest

from booking import timeutil
from booking.delivery.send import deliver_due
from booking.extensions import db
from booking.notifications import services as notices
from booking.reservations import services
from tests import world as w
from tests.e2e.conftest import own_site, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(sqlite_template, tmp_path):
    with own_site(sqlite_template, tmp_path, w.build, VAPID_KEY_FILE=str(tmp_path / "vapid.pem")) as site:
        yield site


def test_worker_phone_shows_the_approval_push(site, push, browser):
    app, base, world = site
    worker = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    worker.grant_permissions(["notifications"], origin=base)
    phone = worker.new_page()
    phone.set_default_timeout(15000)
    cdp = worker.new_cdp_session(phone)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(r for r in event["registrations"] if not r["isDeleted"]),
    )
    cdp.send("ServiceWorker.enable")
    sign_in(phone, base, "worker", PASSWORD)
    phone.goto(base + "/notifications/settings")
    assert phone.evaluate("navigator.serviceWorker.ready.then(reg => reg.active.scriptURL)") == base + "/sw.js"
    phone.wait_for_selector("[data-testid=push-state][data-state=off]")  # push.js: supported, not yet on
    assert phone.is_visible("[data-testid=push-on]") and not phone.is_visible("[data-testid=push-off]")

    with app.app_context():
        notices.subscribe_push(world.worker, push.new_subscription("worker-phone"))
        notices.save_settings(world.worker, "", True, True, True, 60, "00:00", "00:00")  # no quiet hours
        now = timeutil.utcnow()
        start = timeutil.local_to_utc(timeutil.local_date(now, w.TZ) + timedelta(days=1), 19 * 60, w.TZ)
        r = services.book(world.worker, world.court.id, start, now=now)
        db.session.remove()

    staff = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    desk = staff.new_page()
    desk.set_default_timeout(15000)
    sign_in(desk, base, "staff", PASSWORD)
    desk.goto(base + "/staff/pending")
    desk.locator(f"form[action$='/reservations/{r.id}/approve'] button").click()
    desk.wait_for_load_state()

    with app.app_context():
        assert deliver_due(timeutil.utcnow())["sent"] == 1
        db.session.remove()
    (received,) = push.received
    assert push.errors == []
    payload = received["payload"]
    assert payload["title"] == "预约已通过：羽毛球场 1 号"
    assert payload["url"] == f"{base}/bookings/{r.id}"

    (registration,) = {reg["registrationId"]: reg for reg in registrations if reg["scopeURL"] == base + "/"}.values()
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": base,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload, ensure_ascii=False),
        },
    )
    shown = None
    for _ in range(50):  # the push event is handled by the worker on its own time
        shown = phone.evaluate("""() => navigator.serviceWorker.ready
            .then(reg => reg.getNotifications())
            .then(list => list.map(n => [n.title, n.body, n.data.url]))""")
        if shown:
            break
        phone.wait_for_timeout(200)
    assert shown == [[payload["title"], payload["body"], payload["url"]]]
    assert "已通过审批" in payload["body"]
    staff.close()
    worker.close()
