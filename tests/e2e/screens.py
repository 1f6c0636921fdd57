"""Phone screenshots of every worker and staff page, for people to look at (docs/phone.md).

    .venv/bin/python -m tests.e2e.screens [OUT_DIR]   (default docs/phone)

Starts the demo world on a throw-away SQLite file, drives Debian's Chromium with Playwright on a
360×780 phone in Chinese and a 390×844 phone in English, and writes one JPEG per page and phone.
"""

import logging
import shutil
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from werkzeug.serving import make_server

from booking import create_app, demo, timeutil
from booking.extensions import db
from tests.conftest import make_config, migrate
from tests.e2e.conftest import CHROMIUM_ARGS

PHONES = [("360-zh", {"width": 360, "height": 780}, "zh-CN"), ("390-en", {"width": 390, "height": 844}, "en")]


def serve(folder: Path) -> str:
    url = f"sqlite:///{folder / 'screens.sqlite3'}"
    migrate(url)
    app = create_app(make_config(url, RATELIMIT_ENABLED=False))
    with app.app_context():
        demo.seed(40)
        from booking.accounts import services as accounts

        accounts.register("xiaowang", "王小明", "demo12345", "BL01DEMO", None)  # a join request to show
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def sign_in(page, base, username):
    page.goto(base + "/login")
    page.fill("#identifier", username)
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)


def book_today_or_tomorrow(page, base) -> str | None:
    """A Lingfeng booking (confirmed at once) for the screens of the booking page."""
    for days in (0, 1):
        day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=days)
        page.goto(base + "/facilities/")
        for link in page.locator("[data-testid=venue]", has_text="灵峰").locator("[data-testid=facility]").all():
            href = link.get_attribute("href")
            page.goto(f"{base}{href}?date={day}")
            slot = page.locator("[data-testid=slot][data-bookable='1']")
            if slot.count():
                page.goto(base + slot.first.get_attribute("href"))
                page.click("[data-testid=confirm-booking]")
                page.wait_for_load_state()
                if "/bookings/" in page.url and "/new" not in page.url:
                    return page.url[len(base) :]
    return None


def shoot(browser, base, out: Path, name, size, locale, user, paths, full_page=False):
    context = browser.new_context(viewport=size, device_scale_factor=1, is_mobile=True, has_touch=True, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    written = []
    try:
        if user:
            sign_in(page, base, user)
        if locale == "en":
            page.goto(base + "/login" if not user else base + "/")
            switch = page.locator("[data-testid=lang-switch]")
            if switch.inner_text().strip() == "English":
                switch.click()
                page.wait_for_load_state()
        for label, path in paths:
            if callable(path):
                path = path(page)
                if not path:
                    continue
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            target = out / f"{label}-{name}.jpg"
            page.screenshot(path=str(target), type="jpeg", quality=55, full_page=full_page)
            written.append(target)
    finally:
        context.close()
    return written


def main(out: Path) -> list[Path]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="screens-"))
    try:
        base = serve(folder)
        tomorrow = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=1)
        written = []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            for name, size, locale in PHONES:
                written += shoot(
                    browser, base, out, name, size, locale, None, [("sign-in", "/login"), ("join", "/register")]
                )
                worker = "worker3" if name == "360-zh" else "worker4"
                written += shoot(
                    browser,
                    base,
                    out,
                    name,
                    size,
                    locale,
                    worker,
                    [
                        ("facilities", "/facilities/"),
                        ("finder-tonight", "/facilities/find?kind=basketball&when=tonight"),
                        ("day", lambda page: _lingfeng_gym(page, base, tomorrow)),
                        ("booking", lambda page: book_today_or_tomorrow(page, base)),
                        ("my-bookings", "/bookings/"),
                        ("me", "/"),
                    ],
                )
                written += shoot(
                    browser,
                    base,
                    out,
                    name,
                    size,
                    locale,
                    "lingfeng",
                    [
                        ("staff-pending", "/staff/pending"),
                        ("staff-today", "/staff/today"),
                        ("report", "/reports/host"),
                        ("audit", lambda page: _blackout_then_audit(page, base)),
                    ],
                )
                written += shoot(browser, base, out, name, size, locale, "entadmin", [("members", "/members/requests")])
            browser.close()
        return written
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _blackout_then_audit(page, base):
    """Staff close the gym for an evening (entered 18:30 local), so the audit log has a line."""
    page.goto(base + "/staff/today")
    page.locator("a[href*='/blackouts']").first.click()
    page.wait_for_load_state()
    day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") + timedelta(days=6)
    page.fill("input[name=day]", day.isoformat())
    page.fill("input[name=starts]", "18:30")
    page.fill("input[name=ends]", "20:00")
    page.fill("input[name=reason]", "更换灯具")
    page.locator("form button[type=submit].primary").last.click()
    page.wait_for_load_state()
    return "/admin/audit"


def _lingfeng_gym(page, base, day):
    page.goto(base + "/facilities/")
    link = page.locator("[data-testid=venue]", has_text="灵峰").locator("[data-testid=facility]", has_text="健身房")
    return f"{link.first.get_attribute('href')}?date={day}"


if __name__ == "__main__":
    for path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/phone")):
        print(path, path.stat().st_size)
