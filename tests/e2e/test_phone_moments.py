"""Issue 15, the worker's phone at the moments that matter, in real Chromium on two phones
(360×780 in Chinese, 390×844 in English). Each test failed on the code before the fix.
"""

import io
import re
from datetime import datetime, timedelta

import pytest
from PIL import Image

from booking import create_app
from booking.extensions import db
from tests.conftest import make_config
from tests.e2e.conftest import eventually, until_controlled
from tests.e2e.phones import NINGBO, PHONES, book_confirmed, move_to, new_phone, no_horizontal_scroll, sign_in_as

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_app(live_server, tmp_path_factory):
    """An app on the live server's database, to move a booking's time and sign its code."""
    (path,) = tmp_path_factory.getbasetemp().glob("live[0-9]*/live.sqlite3")
    app = create_app(make_config(f"sqlite:///{path}"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(params=PHONES)
def device(request, browser):
    size, lang = request.param
    context, page = new_phone(browser, size, lang)
    yield page, lang
    context.close()


def pick(lang, zh_user, en_user):
    return zh_user if lang == "zh" else en_user


# --- 1. "tonight" is the evening, soonest first, confirmed-at-once first ----------------------


def test_tonight_lists_evening_slots_soonest_first(device, live_server):
    page, lang = device
    sign_in_as(page, live_server, pick(lang, "worker6", "worker7"), lang)
    page.goto(live_server + "/facilities/find?kind=basketball&when=tonight")
    hits = page.locator("[data-testid=finder-slot]")
    now = datetime.now(NINGBO)
    if now.hour < 20:  # later, the evening may be over: then the list may be empty, never the morning
        assert hits.count() > 0
    keys = []
    for i in range(hits.count()):
        start = datetime.fromisoformat(hits.nth(i).get_attribute("data-start"))
        assert start.hour >= 17 and start >= now - timedelta(hours=1), start  # never the morning
        keys.append((start, hits.nth(i).get_attribute("data-approval")))
        assert hits.nth(i).bounding_box()["height"] >= 44
    assert keys == sorted(keys)  # soonest first; at one time, confirmed at once ("0") first
    assert no_horizontal_scroll(page)


# --- 3. the check-in code first, whole, on a small screen, with a countdown and full screen ---


def test_todays_code_is_first_and_decodable_on_a_small_screen(browser, live_server, live_app, request):
    from pyzbar.pyzbar import decode

    for (size, lang), user in zip([p.values[0] for p in PHONES], ("worker8", "worker9")):
        booking = book_confirmed(live_server, user)
        token = move_to(live_app, booking["id"], 60 if datetime.now(NINGBO).hour < 22 else 5)
        context, page = new_phone(browser, {"width": size["width"], "height": 640}, lang)
        try:
            sign_in_as(page, live_server, user, lang)
            page.goto(f"{live_server}/bookings/{booking['id']}")
            qr = page.locator("[data-testid=qr]")
            box = qr.bounding_box()
            nav_top = page.locator(".bottom-nav").bounding_box()["y"]
            assert box["y"] >= 0 and box["y"] + box["height"] <= nav_top, (box, nav_top)  # nothing over it
            assert box["width"] >= 0.7 * size["width"]
            shot = Image.open(io.BytesIO(page.screenshot()))  # the first screen, as the phone shows it
            assert [d.data.decode() for d in decode(shot)] == [token]
            countdown = page.locator("[data-testid=countdown]")
            assert countdown.get_attribute("data-state") in ("before", "open")
            assert re.search(r"\d", countdown.inner_text())  # "还有 59 分钟开始签到"
            page.click("[data-testid=fullscreen]")
            assert "code-full" in page.locator("#code-card").get_attribute("class")
            big = page.locator("[data-testid=qr]").bounding_box()
            assert big["width"] > box["width"]
            page.click("[data-testid=fullscreen]")
            assert "code-full" not in page.locator("#code-card").get_attribute("class")
        finally:
            context.close()


# --- 5. my own bookings on the grid ----------------------------------------------------------


def test_my_booking_is_marked_on_the_day_grid(device, live_server):
    page, lang = device
    user = pick(lang, "worker10", "worker11")
    booking = book_confirmed(live_server, user, days=2)
    sign_in_as(page, live_server, user, lang)
    start = datetime.fromisoformat(booking["start"])
    page.goto(f"{live_server}/facilities/{booking['facility_id']}?date={start.date()}")
    mine = page.locator("[data-testid=slot][data-mine='1']")
    assert mine.count() == 1
    assert mine.get_attribute("data-start") == booking["start"]
    assert ("我的预约" if lang == "zh" else "My booking") in mine.inner_text()
    mine.click()
    page.wait_for_url(f"{live_server}/bookings/{booking['id']}")
    assert no_horizontal_scroll(page)


# --- 6. destructive actions ask first; sign-out away from the language switch ---------------


def test_cancel_asks_before_it_cancels_and_status_tabs_follow(device, live_server):
    page, lang = device
    user = pick(lang, "worker12", "worker13")
    booking = book_confirmed(live_server, user, days=3)
    sign_in_as(page, live_server, user, lang)
    page.goto(f"{live_server}/bookings/{booking['id']}")
    page.click("[data-testid=cancel-booking]")  # one tap: only the question
    page.reload()
    assert page.locator("[data-testid=booking-page]").get_attribute("data-status") == "confirmed"
    page.click("[data-testid=cancel-booking]")
    confirm = page.locator("[data-testid=cancel-booking-confirm]")
    assert confirm.is_visible() and confirm.bounding_box()["height"] >= 44
    confirm.click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=booking-page]").get_attribute("data-status") == "cancelled"
    # Status tabs: a cancelled booking is out of "upcoming", and under "cancelled".
    page.goto(live_server + "/bookings/")
    assert page.locator(f"[data-testid=booking][href='/bookings/{booking['id']}']").count() == 0
    page.click("[data-testid=tab-cancelled]")
    page.wait_for_load_state()
    assert page.locator(f"[data-testid=booking][href='/bookings/{booking['id']}']").count() == 1
    for tab in ("upcoming", "pending", "confirmed", "done", "cancelled"):
        assert page.locator(f"[data-testid=tab-{tab}]").bounding_box()["height"] >= 44
    assert no_horizontal_scroll(page)


def test_sign_out_asks_first_and_is_away_from_the_language_switch(device, live_server):
    page, lang = device
    sign_in_as(page, live_server, pick(lang, "worker14", "worker15"), lang)
    assert page.locator("header form[action='/logout']").count() == 0  # not next to 中文/English
    page.goto(live_server + "/")
    page.click("[data-testid=sign-out]")
    assert page.url == live_server + "/"  # still signed in: only the question
    page.click("[data-testid=sign-out-confirm]")
    page.wait_for_url(live_server + "/login")


# --- 7. each role lands where its work is, with counts on the badges --------------------------


@pytest.mark.parametrize(
    "username, landing",
    [("worker16", "/facilities/"), ("district", "/reports/district"), ("lingfeng", ("/staff/pending", "/staff/today"))],
)
def test_each_role_lands_on_its_work(browser, live_server, username, landing):
    context, page = new_phone(browser, {"width": 360, "height": 780}, "zh")
    try:
        landed = sign_in_as(page, live_server, username, "zh")
        path = landed[len(live_server) :]
        assert path in (landing if isinstance(landing, tuple) else (landing,))
    finally:
        context.close()


def test_approvals_badge_counts_pending_bookings(device, live_server, live_app):
    from sqlalchemy import func, select

    from booking.reservations.models import Reservation

    page, lang = device
    booking = book_confirmed(live_server, pick(lang, "worker16", "worker17"), days=4, hours=range(8, 22), approval=True)
    with live_app.app_context():
        host_id = db.session.get(Reservation, booking["id"]).host_id
        pending = db.session.scalar(
            select(func.count(Reservation.id)).where(Reservation.host_id == host_id, Reservation.status == "pending")
        )
        db.session.remove()
    staff = {"吉利": "geely", "灵峰": "lingfeng", "大港": "dagang"}
    username = next(u for prefix, u in staff.items() if prefix in booking["venue"]["name"])
    landed = sign_in_as(page, live_server, username, lang)
    assert landed == live_server + "/staff/pending"  # work is waiting: the queue first
    badge = page.locator("[data-testid=nav-check] [data-testid=nav-count]")
    assert int(badge.inner_text()) >= pending >= 1  # others may book meanwhile, never fewer


# --- 8. Chinese as people write it: dates, weeks, no time-zone names --------------------------


def test_chinese_dates_and_weeks_read_naturally(browser, live_server):
    context, page = new_phone(browser, {"width": 360, "height": 780}, "zh")
    try:
        sign_in_as(page, live_server, "lingfeng", "zh")
        page.goto(live_server + "/staff/today")
        assert re.fullmatch(
            r"\d{1,2}月\d{1,2}日（周[一二三四五六日]）", page.locator("[data-testid=day] strong").inner_text()
        )
        page.goto(live_server + "/admin/")
        assert "Asia/Shanghai" not in page.content()
        page.goto(live_server + "/quotas/host?week=2026-W53")
        label = page.locator("[data-testid=week-label]").inner_text()
        assert "W" not in label and re.search(r"\d+月\d+日–\d+月\d+日|本周", label), label
    finally:
        context.close()


# --- 9 and 10. the audit log in words and local time; full-width typing accepted --------------


def test_audit_log_speaks_local_time_and_words(device, live_server):
    page, lang = device
    sign_in_as(page, live_server, "lingfeng", lang)
    page.goto(live_server + "/admin/")
    edit = page.locator("a[href$='/edit'][href*='/facilities/']").first
    page.goto(live_server + edit.get_attribute("href"))
    field = page.locator("input[name=hours_0]")
    before = field.input_value()
    assert before == "08:00-22:00"
    field.fill("０８：００－２２：００")  # the Chinese keyboard's full-width digits, colon and dash
    blackout_day = (datetime.now(NINGBO) + timedelta(days=6)).date()
    page.click("[data-testid=save-facility]")
    page.wait_for_load_state()
    assert page.locator(".error").count() == 0
    # A blackout entered at 18:30 local shows as 18:30 in the audit log, with the facility's name.
    facility_id = re.search(r"/facilities/(\d+)/", edit.get_attribute("href")).group(1)
    page.goto(f"{live_server}/staff/facilities/{facility_id}/blackouts")
    page.fill("input[name=day]", blackout_day.isoformat())
    page.fill("input[name=starts]", "18:30")
    page.fill("input[name=ends]", "19:00")
    page.fill("input[name=reason]", "换灯" if lang == "zh" else "lights")
    page.locator("form button[type=submit].primary").last.click()
    page.wait_for_load_state()
    page.goto(live_server + "/admin/audit")
    entry = page.locator("[data-testid=audit-entry][data-action='blackout.create']").first
    text = entry.inner_text()
    assert "18:30" in text and "facility_id" not in text and "T10:30" not in text and "+00:00" not in text
    assert "pending" not in text and "starts_at" not in text
    assert no_horizontal_scroll(page)


# --- 12. a shared facility link shows the facility -------------------------------------------


def test_shared_facility_link_has_a_title_and_og_tags(browser, live_server):
    context, page = new_phone(browser, {"width": 360, "height": 780}, "zh")
    try:
        page.goto(live_server + "/facilities/1")  # not signed in: what a chat preview fetches
        title = page.title()
        assert "登录" not in title
        og_title = page.locator("meta[property='og:title']").get_attribute("content")
        name = page.locator("[data-testid=public-facility] h1").inner_text()
        assert name in og_title and name in title
        assert page.locator("meta[property='og:description']").get_attribute("content")
        assert page.locator("[data-testid=opening-hours]").count() == 1
        assert page.locator("[data-testid=sign-in-to-book]").bounding_box()["height"] >= 44
    finally:
        context.close()


# --- 13. targets a thumb can hit; report tables that fit ------------------------------------


def test_small_targets_grow_and_report_tables_fit(device, live_server):
    page, lang = device
    page.goto(live_server + "/login")
    assert page.locator("a[href='/register']").bounding_box()["height"] >= 44
    sign_in_as(page, live_server, "lingfeng", lang)
    page.goto(live_server + "/reports/host")
    for scroll in page.locator(".rp-scroll").all():
        assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), scroll.inner_text()[:80]
    page.goto(live_server + "/staff/today")
    for link in page.locator("main a").all():
        if link.is_visible():
            assert link.bounding_box()["height"] >= 40, link.inner_text()
    page.locator("a[href*='/blackouts']").first.click()
    page.wait_for_load_state()
    assert page.locator(".crumb a").first.bounding_box()["height"] >= 44  # ‹ 日程
    assert no_horizontal_scroll(page)


def test_organization_tree_links_are_thumb_sized(device, live_server):
    page, lang = device
    sign_in_as(page, live_server, "district", lang)
    page.click("[data-testid=nav-users]")  # 组织
    page.wait_for_load_state()
    links = [a for a in page.locator("main a").all() if a.is_visible()]
    assert len(links) > 5
    for link in links:
        assert link.bounding_box()["height"] >= 40, link.inner_text()


# --- beyond the list: large text, offline pages, venue context --------------------------------


def test_large_text_is_one_tap_and_stays(device, live_server):
    page, lang = device
    sign_in_as(page, live_server, pick(lang, "worker17", "worker18"), lang)
    page.goto(live_server + "/")
    normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.click("[data-testid=text-size]")
    page.wait_for_load_state()
    page.goto(live_server + "/facilities/")
    large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert large >= normal * 1.2
    assert no_horizontal_scroll(page)
    for path in (
        page.locator("[data-testid=facility]").first.get_attribute("href"),
        "/bookings/",
        "/",
        "/facilities/find?kind=gym&when=tomorrow",
    ):
        page.goto(live_server + path)
        assert "large-text" in page.locator("html").get_attribute("class")
        assert no_horizontal_scroll(page), path


def test_visited_pages_open_offline_with_a_banner(device, live_server):
    page, lang = device
    sign_in_as(page, live_server, pick(lang, "worker19", "worker6"), lang)
    page.goto(live_server + "/facilities/")
    until_controlled(page)
    page.goto(live_server + "/facilities/")  # now through the worker: kept
    eventually(page, "caches.match('/facilities/').then(Boolean)")
    page.context.set_offline(True)
    try:
        page.goto(live_server + "/facilities/")
        assert page.locator("[data-testid=facility]").count() > 0
        assert page.locator("[data-testid=offline-banner]").is_visible()
        page.goto(live_server + "/quotas/me")  # never visited: our page, not the browser's error
        assert "离线" in page.content()
    finally:
        page.context.set_offline(False)


def test_codes_stay_after_sign_out_only_when_chosen(device, live_server):
    page, lang = device
    user = pick(lang, "worker18", "worker19")
    booking = book_confirmed(live_server, user, days=6)
    code_page = f"/bookings/{booking['id']}"
    sign_in_as(page, live_server, user, lang)
    page.goto(live_server + "/bookings/")
    until_controlled(page)
    page.goto(live_server + code_page)
    eventually(page, f"caches.match('{code_page}').then(Boolean)")
    page.goto(live_server + "/")
    page.click("[data-testid=sign-out]")
    page.check("[data-testid=keep-codes]")
    page.click("[data-testid=sign-out-confirm]")
    page.wait_for_url(live_server + "/login")
    eventually(page, "caches.keys().then(ks => !ks.includes('sv-pages-v2'))")
    page.context.set_offline(True)
    try:
        page.goto(live_server + code_page)
        assert page.locator("[data-testid=booking-code]").inner_text() == booking["code"]
        page.goto(live_server + "/facilities/")  # the rest of the pages went with the sign-out
        assert page.locator("[data-testid=facility]").count() == 0
    finally:
        page.context.set_offline(False)


def test_facility_page_shows_where_and_when(device, live_server):
    page, lang = device
    sign_in_as(page, live_server, pick(lang, "worker7", "worker8"), lang)
    page.goto(live_server + "/facilities/")
    page.locator("[data-testid=facility]").first.click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=opening-hours] dd").count() >= 1
    link = page.locator("[data-testid=map-link]")
    assert link.count() == 1 and link.bounding_box()["height"] >= 44
    assert no_horizontal_scroll(page)
