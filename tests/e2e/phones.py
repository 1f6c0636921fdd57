"""Helpers for the phone tests of issue 15: two phones (360×780 in Chinese, 390×844 in English),
signing in in a language, and bookings made through the API.

The live server is shared by the e2e session. These tests use worker6-worker19 (no other e2e
test does), each test its own pair, so their bookings never meet another test's.
"""

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from booking import timeutil
from booking.checkin import services as checkin
from booking.demo import DEMO_PASSWORD
from booking.extensions import db
from booking.reservations.models import Reservation

NINGBO = timezone(timedelta(hours=8))
PHONES = [
    pytest.param(({"width": 360, "height": 780}, "zh"), id="360x780-zh"),
    pytest.param(({"width": 390, "height": 844}, "en"), id="390x844-en"),
]


def new_phone(browser, size, lang, **extra):
    context = browser.new_context(
        viewport=size,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN" if lang == "zh" else "en-US",
        **extra,
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    return context, page


def html_lang(page) -> str:
    return page.locator("html").get_attribute("lang")


def choose_language(page, lang):
    """Switch the page to `lang` with the header's switch, if it is not in it yet."""
    wanted = "zh-CN" if lang == "zh" else "en"
    if html_lang(page) != wanted:
        page.click("[data-testid=lang-switch]")
        page.wait_for_load_state()
    assert html_lang(page) == wanted


def sign_in_as(page, base, username, lang):
    """Sign in on the sign-in page in `lang`; returns the URL the person lands on."""
    page.goto(base + "/login")
    choose_language(page, lang)
    page.fill("#identifier", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)
    landed = page.url
    choose_language(page, lang)
    return landed


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def token_for(base, username) -> str:
    status, body = call(base, "POST", "/api/v1/auth/token", {"username": username, "password": DEMO_PASSWORD})
    assert status == 200, body
    return body["token"]


def book_confirmed(base, username, days=1, hours=(10, 11, 12, 13, 14, 15, 16), approval=False):
    """`username` books a facility confirmed at once (or, with approval=True, one that needs
    the host's approval), `days` from today, through the API."""
    token = token_for(base, username)
    status, facilities = call(base, "GET", "/api/v1/facilities", token=token)
    assert status == 200, facilities
    day = (datetime.now(NINGBO) + timedelta(days=days)).date()
    answers = []
    for facility in [f for f in facilities if f["requires_approval"] == approval]:
        for hour in hours:
            status, body = call(
                base,
                "POST",
                "/api/v1/reservations",
                {"facility_id": facility["id"], "start": f"{day}T{hour:02d}:00:00+08:00"},
                token=token,
            )
            if status == 201:
                assert body["status"] == ("pending" if approval else "confirmed"), body
                return body
            answers.append(body)
    pytest.fail(f"{username} could not book anything: {answers[-3:]}")


def move_to(app, rid, minutes_from_now: int) -> str:
    """Move a booking to start `minutes_from_now` from now; return its signed check-in code."""
    with app.app_context():
        r = db.session.get(Reservation, rid)
        now = timeutil.utcnow()
        length = r.end_at - r.start_at
        r.start_at = now + timedelta(minutes=minutes_from_now)
        r.end_at = r.start_at + length
        db.session.commit()
        token = checkin.token_for(r)
        db.session.remove()
    return token


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
