"""Two app servers from different instance/ folders share sessions, CSRF tokens and QR keys.

SECRET_KEY and QR_KEY_SECRET come from the cluster's environment, never from a folder: a
session and form token made on one server are accepted by the other, both servers sign a
booking's QR code with the same key, and the door scan on one server accepts the code the
other drew. Neither folder holds a secret.
"""

import io
import re

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from tests import factories as f
from tests.cluster import world
from tests.cluster.wire import api, request

pytestmark = pytest.mark.cluster
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def cookies_of(headers: dict) -> str:
    raw = headers.get("Set-Cookie", "")
    return "; ".join(part.split(";", 1)[0] for part in raw.split(", ") if "=" in part.split(";", 1)[0])


def sign_in_on_the_web(first: str, then: str) -> str:
    """The sign-in page from `first`, the form posted to `then`; the signed-in cookie."""
    status, headers, page = request(first, "GET", "/login")
    assert status == 200
    cookie, token = cookies_of(headers), CSRF.search(page.decode()).group(1)
    form = f"csrf_token={token}&identifier=walker&password={f.PASSWORD}"
    status, headers, _ = request(
        then, "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    )
    assert status == 302, f"{then} refused the form token {first} made"
    return cookies_of(headers)


def test_session_and_csrf_made_on_one_server_work_on_the_other(cluster, fresh):
    f.user("walker", f.org("Ent"))
    one, two = (a.url for a in cluster.apps)
    signed_in = sign_in_on_the_web(one, two)
    status, _, _ = request(one, "GET", "/", headers={"Cookie": signed_in})
    assert status == 200, "the first server did not accept the session the second one made"
    # Through nginx, wherever each request lands.
    signed_in = sign_in_on_the_web(cluster.nginx.url, cluster.nginx.url)
    assert [request(cluster.nginx.url, "GET", "/", headers={"Cookie": signed_in})[0] for _ in range(4)] == [200] * 4


def test_qr_code_drawn_on_one_server_scans_on_the_other(cluster, fresh):
    a = world.arena(1)
    one, two = (s.url for s in cluster.apps)
    status, booking = api(
        one,
        "POST",
        "/api/v1/reservations",
        a["tokens"][0],
        {"facility_id": a["court"], "start": world.tomorrow_at(19 * 60)},
    )
    assert status == 201, booking
    path = f"/api/v1/reservations/{booking['id']}/qr.png"
    auth = {"Authorization": f"Bearer {a['tokens'][0]}"}
    pngs = [request(url, "GET", path, headers=auth) for url in (one, two)]
    assert [p[0] for p in pngs] == [200, 200]
    assert pngs[0][2] == pngs[1][2], "the servers signed with different keys"
    code = decode(Image.open(io.BytesIO(pngs[0][2])))[0].data.decode()
    status, answer = api(two, "POST", "/api/v1/checkins", a["staff"], {"code": code})
    # Verified and matched to the booking (tomorrow's: too early to enter); a code the server
    # could not verify would answer "invalid" without a booking.
    assert status == 200 and answer["result"] == "too_early", answer
    assert answer["reservation"]["id"] == booking["id"]
    for app in cluster.apps:
        folder = app.folder / "instance"
        assert not (folder / "secret_key").exists() and not (folder / "qr-keys").exists()
