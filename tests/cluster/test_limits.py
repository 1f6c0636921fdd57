"""Sign-in limits on Redis: exact across servers, and per phone (nginx forwards its address).

The cluster allows 5 sign-ins a minute per address. Requests go through nginx, which spreads
them over two servers with two workers each: with per-process memory counters each of the four
would allow 5. "Phones" are distinct loopback source addresses.
"""

import json

import pytest

from tests import factories as f
from tests.cluster.wire import request

pytestmark = pytest.mark.cluster
LIMIT = 5


@pytest.fixture
def people(fresh):
    ent = f.org("Ent")
    names = [f.user(f"signer{i}", ent).username for i in range(12)]
    return names


def sign_in(cluster, username, phone, headers=None):
    status, _, _ = request(
        cluster.nginx.url,
        "POST",
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": f.PASSWORD}),
        {"Content-Type": "application/json", **(headers or {})},
        phone=phone,
    )
    return status


def test_per_address_limit_is_exact_across_servers_and_sees_the_phone(cluster, people):
    phone, other = "127.0.0.21", "127.0.0.22"
    statuses = [sign_in(cluster, name, phone) for name in people[: LIMIT + 3]]
    assert statuses == [200] * LIMIT + [429] * 3, statuses
    # Another phone behind the same nginx is its own address, not nginx's.
    assert sign_in(cluster, people[-1], other) == 200
    # A phone cannot claim another address: nginx appends the one it saw, the app trusts one hop.
    assert sign_in(cluster, people[-2], phone, {"X-Forwarded-For": "203.0.113.9"}) == 429
