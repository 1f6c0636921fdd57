"""Draw screens through the test client: a draw slot offers "apply" with its draw time, applying
from the page, my applications, the result after the draw (booking, notice, the published
draw), the host's draws. Pages are read in English."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from booking import timeutil
from booking.draw import services
from booking.draw.models import Application, Draw
from booking.extensions import db
from tests import factories as f
from tests.helpers import WebClient
from tests.world import TZ, build, in_days, iso

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(ctx):
    world = build(court_approval=False)
    world.court.allocation = "draw"
    db.session.commit()
    world.host_admin = f.user("hostadmin", roles=[("host_admin", world.host)])
    return world


def tile(page: str, start) -> str:
    """The opening tag of the slot tile starting at `start`."""
    found = re.search(r'<[^>]*data-start="' + re.escape(iso(start)) + r'"[^>]*>', page)
    assert found, "no tile for the slot"
    return found.group(0)


def signed_in(client, username):
    client.post_form("/lang/en", {"next": "/login"}, csrf_from="/login")
    client.login(username)
    return client


def test_apply_from_a_draw_slot_then_see_the_result(client, world):
    signed_in(client, "worker")
    day = timeutil.local_date(in_days(3), TZ).isoformat()
    grid = client.get(f"/facilities/{world.court.id}?date={day}", headers=EN).get_data(as_text=True)
    assert 'data-draw="1"' in tile(grid, in_days(3)) and "Apply (draw)" in grid
    assert "draw " + timeutil.to_local(in_days(1, 12), TZ).strftime("%m-%d 12:00") in grid
    path = f"/draw/apply?facility_id={world.court.id}&start={iso(in_days(3))}"
    page = client.get(path, headers=EN)
    assert page.status_code == 200 and 'data-testid="draw-at"' in page.get_data(as_text=True)
    r = client.post_form(
        "/draw/apply",
        {"facility_id": str(world.court.id), "start": iso(in_days(3)), "party_size": "1"},
        csrf_from=path,
        headers=EN,
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/draw/")
    assert 'href="/draw/"' in client.get("/bookings/", headers=EN).get_data(as_text=True)
    mine = client.get("/draw/", headers=EN).get_data(as_text=True)
    assert "Applied: waiting for the draw" in mine
    again = client.post_form(
        "/draw/apply",
        {"facility_id": str(world.court.id), "start": iso(in_days(3)), "party_size": "1"},
        csrf_from=path,
        headers=EN,
    )
    assert again.status_code == 409 and "already applied" in again.get_data(as_text=True)
    services.apply(world.worker2, world.court.id, in_days(3))

    draw_id = db.session.scalar(select(Draw.id))
    db.session.execute(update(Draw).values(draw_at=timeutil.utcnow() - timedelta(minutes=1)))
    db.session.commit()
    # The first read of the slots after the draw time runs the draw.
    grid = client.get(f"/facilities/{world.court.id}?date={day}", headers=EN).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Draw, draw_id).status == "done"
    assert 'data-draw="1"' not in tile(grid, in_days(3))
    mine = client.get("/draw/", headers=EN).get_data(as_text=True)
    status = db.session.scalar(select(Application.status).where(Application.user_id == world.worker.id))
    expected = {"won": "Won: you are booked", "waitlisted": "Not drawn: you are on the waitlist"}[status]
    assert expected in mine
    notes = client.get("/bookings/notifications", headers=EN).get_data(as_text=True)
    assert ("You won the draw" if status == "won" else "You were not drawn this time") in notes
    shown = client.get(f"/draw/{draw_id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="seed"' in shown and 'data-testid="my-place"' in shown and "<script>" not in shown
    # Drawn: the slot is first-come again (a court: taken by the winner).
    grid = client.get(f"/facilities/{world.court.id}?date={day}", headers=EN).get_data(as_text=True)
    assert 'data-draw="1"' not in tile(grid, in_days(3)) and 'data-testid="slot"' in tile(grid, in_days(3))

    staff = signed_in(WebClient(client.app), "hostadmin")
    assert 'data-testid="host-draws"' in staff.get("/admin/", headers=EN).get_data(as_text=True)
    host = staff.get("/draw/host", headers=EN)
    assert host.status_code == 200 and 'data-testid="host-draw"' in host.get_data(as_text=True)


def test_others_do_not_see_a_draw(client, world):
    a = services.apply(world.worker, world.court.id, in_days(3))
    signed_in(client, "outsider")
    assert client.get(f"/draw/{a.draw_id}", headers=EN).status_code == 404
    assert client.get("/draw/host", headers=EN).status_code == 404
