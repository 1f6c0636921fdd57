"""Flask-Limiter's per-request check runs only where a limit is set (booking.extensions):
a route's own limit (sign-in, per address) still counts and refuses; other routes are not counted."""

import pytest

from tests import factories as f
from tests.helpers import ApiClient


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_PER_USERNAME": "1000/day", "LOGIN_LIMIT_PER_ADDRESS": "3/day"}


@pytest.fixture
def world(ctx):
    f.user("worker", f.org("海顺模具"))


def test_the_per_address_sign_in_limit_still_refuses(app, world):
    http = ApiClient(app).http
    statuses = [
        http.post("/api/v1/auth/token", json={"username": "worker", "password": f.PASSWORD}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_routes_without_a_limit_are_never_refused(app, world):
    http = ApiClient(app).http
    assert [http.get("/healthz").status_code for _ in range(10)] == [200] * 10


def test_a_limited_route_still_gets_its_headers_and_others_none(app, world, monkeypatch):
    """Flask-Limiter's after-request hook (deductions, headers) runs for a request whose limits
    were checked, and is skipped for the others (booking.extensions._only_when_limited)."""
    from booking.extensions import limiter

    # RATELIMIT_HEADERS_ENABLED is read by the first app the (module-wide) limiter meets
    monkeypatch.setattr(limiter, "_headers_enabled", True)
    http = ApiClient(app).http
    signed_in = http.post("/api/v1/auth/token", json={"username": "worker", "password": f.PASSWORD})
    assert signed_in.status_code == 200
    assert signed_in.headers["X-RateLimit-Remaining"].isdigit() and signed_in.headers["X-RateLimit-Limit"].isdigit()
    health = http.get("/healthz")
    assert health.status_code == 200 and "X-RateLimit-Limit" not in health.headers
