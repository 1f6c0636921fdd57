"""Quota screens on a phone: Geely's admin raises an enterprise's weekly hours; its admin sees its use."""

import re

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
HAISHUN = "宁波海顺模具有限公司"
GEELY = "吉利汽车春晓基地工会"


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_geely_raises_an_enterprises_weekly_hours(phone, live_server):
    sign_in(phone, live_server, "geely")
    phone.goto(live_server + "/")
    phone.click("a.home-link[href='/quotas/agreements']")
    phone.wait_for_load_state()
    assert no_horizontal_scroll(phone)
    card = phone.locator("[data-testid=agreement]", has_text=HAISHUN)
    assert card.count() == 1 and card.get_attribute("data-state") == "in_force"
    card.click()
    phone.wait_for_load_state()
    assert no_horizontal_scroll(phone)

    # The live server is shared by the e2e session, whose bookings need this quota: only raise it.
    hours = phone.locator("#hours")
    current = float(hours.input_value() or 0)
    raised = int(current) + 4
    hours.fill(str(raised))
    assert phone.locator("[data-testid=save-limits]").bounding_box()["height"] >= 44
    phone.click("[data-testid=save-limits]")
    phone.wait_for_load_state()
    assert phone.locator(".flash-success").count() == 1
    assert re.search(rf"\b{raised}\b", phone.locator("[data-testid=limits]").inner_text())
    assert no_horizontal_scroll(phone)

    phone.click(".crumb a")
    phone.wait_for_load_state()
    card = phone.locator("[data-testid=agreement]", has_text=HAISHUN)
    assert re.search(rf"\b{raised}\b", card.locator("[data-testid=limits]").inner_text())

    phone.goto(live_server + "/quotas/host")
    assert phone.locator("[data-testid=week-label]").count() == 1
    assert no_horizontal_scroll(phone)


def test_entadmin_sees_use_per_host(phone, live_server):
    sign_in(phone, live_server, "entadmin")
    phone.goto(live_server + "/")
    phone.click("a.home-link[href='/quotas/enterprise']")
    phone.wait_for_load_state()
    hosts = phone.locator("[data-testid=host-usage] [data-testid=host-name]").all_inner_texts()
    assert GEELY in hosts and len(hosts) >= 2
    assert phone.locator("[data-testid=enterprise-agreements] [data-testid=agreement]").count() >= 2
    assert phone.locator("[data-testid=prev-week]").bounding_box()["height"] >= 44
    assert no_horizontal_scroll(phone)

    phone.click("[data-testid=prev-week]")
    phone.wait_for_load_state()
    assert "week=" in phone.url and phone.locator("[data-testid=note]").count() == 0
    assert no_horizontal_scroll(phone)
