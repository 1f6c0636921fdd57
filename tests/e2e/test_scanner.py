"""Check-in at the door in real Chromium: a fake camera showing a booking's QR code, offline
scanning with its later sync, the same code let in on two offline phones, and a worker's code
opening with no network (service worker).

The live server is shared by the e2e session: these tests book the Lingfeng centre as
worker20-worker33 (other tests book Geely and Dagang as worker1-worker4).
"""

import io
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from booking import create_app, timeutil
from booking.checkin import images
from booking.checkin import services as checkin
from booking.extensions import db
from booking.reservations.models import Reservation
from tests.conftest import make_config
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE, eventually, sign_in
from tests.e2e.test_staff_approval import call, token_for

pytestmark = pytest.mark.e2e
NINGBO = timezone(timedelta(hours=8))


# --- helpers --------------------------------------------------------------------------------


def write_y4m(png: bytes, path: Path, frames: int = 6, size=(640, 480)) -> Path:
    """A short raw video (YUV4MPEG2, 4:2:0) of the image centred on white: Chromium's fake camera loops it."""
    width, height = size
    canvas = Image.new("RGB", size, "white")
    code = Image.open(io.BytesIO(png)).convert("RGB")
    code.thumbnail((height - 40, height - 40))
    canvas.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half, Image.BOX).tobytes() + cr.resize(half, Image.BOX).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(frame)
    return path


@pytest.fixture(scope="module")
def live_app(live_server, tmp_path_factory):
    """An app on the live server's database, to move a booking's time and sign its code."""
    (path,) = tmp_path_factory.getbasetemp().glob("live[0-9]*/live.sqlite3")
    app = create_app(make_config(f"sqlite:///{path}"))
    yield app
    with app.app_context():
        db.engine.dispose()


def book_lingfeng(base, username, kind, hour=10):
    """`username` books a Lingfeng facility of `kind` tomorrow (through the API)."""
    token = token_for(base, username)
    status, facilities = call(base, "GET", "/api/v1/facilities", token=token)
    assert status == 200, facilities
    (facility,) = [f for f in facilities if f["kind"] == kind and f["host"]["name"].startswith("灵峰")]
    tomorrow = (datetime.now(NINGBO) + timedelta(days=1)).date()
    status, body = call(
        base,
        "POST",
        "/api/v1/reservations",
        {"facility_id": facility["id"], "start": f"{tomorrow}T{hour:02d}:00:00+08:00"},
        token=token,
    )
    assert status == 201 and body["status"] == "confirmed", body
    return body


def open_now(app, rid) -> str:
    """Move the booking to start in 5 minutes (its check-in is open) and return its signed code."""
    with app.app_context():
        r = db.session.get(Reservation, rid)
        now = timeutil.utcnow()
        r.start_at, r.end_at = now + timedelta(minutes=5), now + timedelta(minutes=65)
        db.session.commit()
        token = checkin.token_for(r)
        db.session.remove()
    return token


def status_of(app, rid) -> str:
    with app.app_context():
        status = db.session.get(Reservation, rid).status
        db.session.remove()
    return status


def wait_for_status(app, rid, wanted, seconds=15) -> str:
    deadline = time.monotonic() + seconds
    while (status := status_of(app, rid)) != wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return status


def tamper(token: str) -> str:
    i = 40
    return token[:i] + ("B" if token[i] != "B" else "C") + token[i + 1 :]


def open_scanner(page, base):
    sign_in(page, base, "lingfeng")
    page.goto(base + "/")
    page.goto(base + "/scan")
    page.locator("[data-testid=scanner]").wait_for()
    # The day's list and the host's keys are on the phone before the signal goes.
    eventually(page, "Object.keys(localStorage).some(k => /^sv-scan:.*:manifest$/.test(k))")


def type_code(page, code):
    page.fill("[data-testid=manual-code]", code)
    page.click("[data-testid=manual-submit]")


def answer(page, result):
    box = page.locator(f"[data-testid=result][data-result={result}]")
    box.wait_for()
    return box


def cached(path) -> str:
    return f"caches.match('{path}').then(hit => !!hit)"


def new_phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10000)
    return context, page


# --- (a) the camera -------------------------------------------------------------------------


def test_fake_camera_shows_the_code_and_staff_see_a_big_green_ok(browser, live_server, live_app, tmp_path):
    booking = book_lingfeng(live_server, "worker20", "gym")
    token = open_now(live_app, booking["id"])
    video = write_y4m(images.png(token), tmp_path / "code.y4m")
    camera = browser.browser_type.launch(
        executable_path=shutil.which("chromium") or "/usr/bin/chromium",
        args=CHROMIUM_ARGS
        + [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera.new_context(**PHONE)
        context.grant_permissions(["camera"], origin=live_server)
        page = context.new_page()
        page.set_default_timeout(20000)
        open_scanner(page, live_server)
        before = int(page.locator("[data-testid=today-count]").inner_text())
        page.click("[data-testid=start-camera]")
        box = answer(page, "ok")
        assert booking["user"]["display_name"] in box.inner_text()
        assert "健身房" in box.inner_text()
        assert box.get_attribute("data-offline") == "0"
        assert "rgb(15, 138, 79)" == box.evaluate("e => getComputedStyle(e).backgroundColor")
        assert int(page.locator("[data-testid=today-count]").inner_text()) == before + 1
        page.screenshot(path=str(tmp_path / "scan-ok.png"))
        assert status_of(live_app, booking["id"]) == "checked_in"
        page.wait_for_timeout(1500)  # the same code stays in view: no second, red answer
        assert page.locator("[data-testid=result]").get_attribute("data-result") == "ok"
    finally:
        camera.close()


# --- (b) offline, then sync -----------------------------------------------------------------


def test_offline_scans_are_checked_on_the_phone_and_synced_later(browser, live_server, live_app):
    booking = book_lingfeng(live_server, "worker21", "reading_room")
    token = open_now(live_app, booking["id"])
    context, page = new_phone(browser)
    try:
        open_scanner(page, live_server)
        context.set_offline(True)
        eventually(page, "!navigator.onLine")

        type_code(page, tamper(token))
        answer(page, "invalid")

        type_code(page, booking["code"].lower())
        box = answer(page, "ok")
        assert box.get_attribute("data-offline") == "1"
        assert booking["user"]["display_name"] in box.inner_text()
        assert page.locator("[data-testid=queue]").is_visible()
        assert status_of(live_app, booking["id"]) == "confirmed"  # not yet: no signal

        type_code(page, token)  # the same person again, this time the QR code
        answer(page, "already_checked_in")

        context.set_offline(False)
        assert wait_for_status(live_app, booking["id"], "checked_in") == "checked_in"
        page.locator("[data-testid=queue]").wait_for(state="hidden")
        assert page.locator("[data-testid=attention]").is_hidden()
    finally:
        context.close()


# --- (d) one code, two offline phones -------------------------------------------------------


def test_same_code_let_in_on_two_offline_phones_is_flagged_not_lost(browser, live_server, live_app):
    booking = book_lingfeng(live_server, "worker22", "gym", hour=11)
    token = open_now(live_app, booking["id"])
    (ctx1, door1), (ctx2, door2) = new_phone(browser), new_phone(browser)
    try:
        for ctx, page in ((ctx1, door1), (ctx2, door2)):
            open_scanner(page, live_server)
            ctx.set_offline(True)
            eventually(page, "!navigator.onLine")
            type_code(page, token)
            assert answer(page, "ok").get_attribute("data-offline") == "1"

        ctx1.set_offline(False)
        assert wait_for_status(live_app, booking["id"], "checked_in") == "checked_in"
        door1.locator("[data-testid=queue]").wait_for(state="hidden")
        assert door1.locator("[data-testid=attention]").is_hidden()

        ctx2.set_offline(False)
        flagged = door2.locator("[data-testid=attention-item][data-result=already_checked_in]")
        flagged.wait_for()
        assert booking["user"]["display_name"] in flagged.inner_text()
        assert door2.locator("[data-testid=queue]").is_hidden()
        door2.reload()  # kept on the phone until staff dismiss it
        door2.locator("[data-testid=attention-item]").wait_for()
    finally:
        ctx1.close()
        ctx2.close()


# --- (c) the worker's code with no network --------------------------------------------------


def test_booking_page_opens_offline_after_one_visit(browser, live_server):
    booking = book_lingfeng(live_server, "worker31", "badminton", hour=12)
    context, page = new_phone(browser)
    try:
        sign_in(page, live_server, "worker31")
        page.goto(live_server + "/")
        page.goto(f"{live_server}/bookings/{booking['id']}")
        eventually(page, cached(f"/bookings/{booking['id']}"))

        context.set_offline(True)
        page.reload()
        assert page.locator("[data-testid=booking-code]").inner_text() == booking["code"]
        assert page.locator("[data-testid=qr] svg").is_visible()
    finally:
        context.close()


def test_upcoming_bookings_listed_on_my_bookings_open_offline_and_sign_out_forgets_them(browser, live_server):
    booking = book_lingfeng(live_server, "worker32", "reading_room", hour=13)
    context, page = new_phone(browser)
    try:
        sign_in(page, live_server, "worker32")
        page.goto(live_server + "/")
        page.goto(live_server + "/bookings/")  # the service worker fetches the listed bookings ahead
        code_page = cached(f"/bookings/{booking['id']}")
        eventually(page, code_page)

        context.set_offline(True)
        page.goto(f"{live_server}/bookings/{booking['id']}")
        assert page.locator("[data-testid=booking-code]").inner_text() == booking["code"]

        context.set_offline(False)
        page.goto(live_server + "/")
        page.click("[data-testid=sign-out]")  # asks first; codes are not kept unless chosen
        page.click("[data-testid=sign-out-confirm]")
        page.wait_for_url(live_server + "/login")
        eventually(page, f"{code_page}.then(found => !found)")
    finally:
        context.close()
