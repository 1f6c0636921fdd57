"""A worker signs in on a phone, in Chinese, and switches to English."""

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_worker_signs_in_and_sees_home_in_chinese(phone, live_server):
    sign_in(phone, live_server, "worker1")
    phone.goto(live_server + "/")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert "您好" in phone.locator("[data-testid=greeting]").inner_text()
    assert phone.locator("[data-testid=enterprise]").inner_text() == "宁波海顺模具有限公司"
    assert phone.locator(".bottom-nav a").first.inner_text().strip() == "预约"
    assert no_horizontal_scroll(phone)


def test_switch_to_english_and_it_stays(phone, live_server):
    sign_in(phone, live_server, "worker2")
    phone.goto(live_server + "/")
    phone.click("[data-testid=lang-switch]")
    phone.wait_for_load_state()
    assert phone.locator("[data-testid=greeting]").inner_text().startswith("Hello, ")
    phone.goto(live_server + "/")
    assert phone.locator("html").get_attribute("lang") == "en"
    # back to Chinese
    phone.click("[data-testid=lang-switch]")
    phone.wait_for_load_state()
    assert "您好" in phone.locator("[data-testid=greeting]").inner_text()


def test_wrong_password_shows_a_clear_message(phone, live_server):
    sign_in(phone, live_server, "worker3", "not-the-password")
    alert = phone.locator(".flash-error")
    alert.wait_for()
    assert alert.inner_text() == "用户名或密码错误。"
    assert phone.url.startswith(live_server + "/login")
    assert no_horizontal_scroll(phone)


def test_tap_targets_are_big_enough(phone, live_server):
    phone.goto(live_server + "/login")
    for selector in ["#identifier", "#password", "button[type=submit].primary"]:
        box = phone.locator(selector).bounding_box()
        assert box["height"] >= 44, selector
