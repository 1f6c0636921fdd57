"""Issue 15 through the test client: static files and compression, where each role lands,
full-width typing, the public facility page, the audit log in words."""

import re
from datetime import datetime, timezone

import pytest

from booking.extensions import db
from tests.world import build


@pytest.fixture
def world(ctx):
    return build()


def test_static_files_have_hashed_urls_cached_for_a_year(client, world):
    html = client.get("/login").get_data(as_text=True)
    href = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    r = client.get(href)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/css/app.css").headers["Cache-Control"] == "no-cache"  # unhashed: revalidate
    assert client.get("/static/css/app.css?v=000000000000").headers["Cache-Control"] == "no-cache"  # stale hash


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_and_files_are_compressed(client, world, encoding):
    r = client.get("/login", headers={"Accept-Encoding": encoding})
    assert r.headers["Content-Encoding"] == encoding and "Accept-Encoding" in r.headers["Vary"]
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', html).group(1)
    assert client.get(css, headers={"Accept-Encoding": encoding}).headers["Content-Encoding"] == encoding


@pytest.mark.parametrize(
    "username, landing", [("worker", "/facilities/"), ("staff", "/staff/today"), ("other_staff", "/staff/today")]
)  # host admins are staff too
def test_each_role_lands_on_its_work(client, world, username, landing):
    r = client.login(username)
    assert r.status_code == 302 and r.location == landing


def test_a_next_link_still_wins_over_the_landing(client, world):
    r = client.post_form(
        "/login?next=/bookings/", {"identifier": "worker", "password": "secret123"}, csrf_from="/login"
    )
    assert r.status_code == 302 and r.location == "/bookings/"


def test_full_width_digits_and_dashes_are_read_as_typed(client, world):
    client.login("worker")
    html = client.get(f"/facilities/{world.gym.id}?date=２０２６－１２－０１").get_data(as_text=True)
    assert 'data-testid="note"' not in html  # understood, not "the date was not understood"
    assert "2026-12-01" in html


def test_public_facility_page_has_og_tags_and_nothing_private(client, world):
    r = client.get(f"/facilities/{world.gym.id}/about")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert re.search(r'<meta property="og:title" content="健身房 · [^"]+">', html)
    assert '<meta property="og:description"' in html and "<title>健身房" in html
    assert "worker" not in html and 'data-testid="slot"' not in html
    world.gym.active = False
    db.session.commit()
    assert client.get(f"/facilities/{world.gym.id}/about").status_code == 404


def test_audit_values_in_words_and_local_time(app, world):
    from booking.admin.audit_display import Names, field_label
    from booking.audit.models import AuditEntry

    entry = AuditEntry(
        action="blackout.create",
        obj_type="blackout",
        obj_id=1,
        after={"facility_id": world.gym.id, "starts_at": "2026-12-01T10:30:00+00:00"},
        created_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
    )
    with app.test_request_context("/"):
        names = Names([entry])
        assert field_label("facility_id") == "场地"
        assert names.value("facility_id", world.gym.id, "Asia/Shanghai") == "健身房"
        assert names.value("starts_at", "2026-12-01T10:30:00+00:00", "Asia/Shanghai") == "12月1日 18:30"
        assert names.value("status", "rejected", "Asia/Shanghai") == "未通过"


def test_a_shared_booking_link_is_titled_as_a_booking(client, world):
    r = client.get("/bookings/1")
    assert r.status_code == 302 and r.location.startswith("/login")
    html = client.get(r.location).get_data(as_text=True)
    title = re.search(r"<title>([^<]+)</title>", html).group(1)
    assert "登录" not in title and title.startswith("预约")
