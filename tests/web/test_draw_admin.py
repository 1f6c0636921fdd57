"""A host admin makes a facility's places drawn (摇号) on the facility form; the API shows it."""

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.facilities.models import Facility
from tests import factories as f
from tests import world as w
from tests.web.test_admin_pages import facility_form, html


@pytest.fixture
def world(ctx):
    world = w.build(court_approval=False)
    world.host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    return world


def test_host_admin_sets_a_draw_and_its_time(client, api, world):
    client.login("hostadmin")
    page = client.get(f"/admin/facilities/{world.gym.id}/edit")
    assert page.status_code == 200 and 'name="allocation"' in html(page) and 'value="12:00"' in html(page)
    form = facility_form(
        name="健身房", kind="gym", capacity="5", allocation="draw", draw_days_before="1", draw_time="18:30"
    )
    r = client.post_form(f"/admin/facilities/{world.gym.id}/edit", form)
    assert r.status_code == 302, html(r)
    db.session.expire_all()
    gym = db.session.scalar(select(Facility).where(Facility.id == world.gym.id))
    assert (gym.allocation, gym.draw_days_before, gym.draw_minute) == ("draw", 1, 18 * 60 + 30)
    api.login("worker")
    shown = {x["id"]: x for x in api.get("/api/v1/facilities").get_json()}[world.gym.id]
    assert (shown["allocation"], shown["draw_time"]) == ("draw", {"days_before": 1, "at_minute": 1110})


@pytest.mark.parametrize("overrides", [{"allocation": "lottery"}, {"draw_days_before": "400"}, {"draw_time": "noon"}])
def test_bad_draw_settings_change_nothing(client, world, overrides):
    client.login("hostadmin")
    form = facility_form(name="健身房", kind="gym", capacity="5", **overrides)
    r = client.post_form(f"/admin/facilities/{world.gym.id}/edit", form)
    assert r.status_code in (400, 422)
    assert 'class="error"' in html(r)
    db.session.expire_all()
    assert db.session.get(Facility, world.gym.id).allocation == "first_come"
