"""Phone flows in real Chromium (Debian's), driven by Playwright, against a live server."""

import shutil
import threading
import time
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from booking import create_app, demo
from booking.extensions import db
from tests.conftest import make_config

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def live_server(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(make_config(f"sqlite:///{path}", RATELIMIT_ENABLED=False))
    with app.app_context():
        demo.seed(40)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@contextmanager
def own_site(sqlite_template, folder, build, **config):
    """A live server of its own for one test, on a copy of the empty database: `build()` runs in
    the app (the test's world; returns what the test needs). Yields (app, base URL, built)."""
    path = folder / "site.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(make_config(f"sqlite:///{path}", RATELIMIT_ENABLED=False, **config))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = base
    with app.app_context():
        built = build()
        db.session.remove()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base, built
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


def sign_in(page, base, username, password=demo.DEMO_PASSWORD):
    page.goto(base + "/login")
    page.fill("#identifier", username)
    page.fill("#password", password)
    with page.expect_navigation():  # each role lands on its own page; a wrong password stays
        page.click("button[type=submit].primary")


def eventually(page, expression, seconds=10):
    """Poll a (possibly async) expression until it is truthy. Playwright's wait_for_function
    evaluates a string inside the page, which the Content-Security-Policy forbids (no eval);
    page.evaluate runs through the browser's debugging protocol, outside the page's policy."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        page.wait_for_timeout(100)


def until_controlled(page, seconds=30):
    """The page's service worker is active and controls the page. A page opened before the worker
    ran is controlled once the worker claims it, or else from its next load: reload once then."""
    eventually(page, "navigator.serviceWorker.getRegistration().then(r => !!(r && r.active))", seconds)
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    eventually(page, "navigator.serviceWorker.controller !== null", seconds)
