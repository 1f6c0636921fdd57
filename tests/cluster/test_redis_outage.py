"""Redis (the limits' storage and the job queue) stopped and restarted under sign-ins: no 5xx.

Flask-Limiter falls back to each process's memory while Redis is away (logged once per
process) and returns to Redis when it is back. Every sign-in comes from its own phone
(loopback address), so none is refused by the per-address limit and each must succeed.
"""

import json
import signal

import pytest

from tests import factories as f
from tests.cluster.wire import at_once, request
from tests.tools.cluster import wait_until

pytestmark = pytest.mark.cluster
ROUND = 8


def sign_ins(cluster, names, first_phone):
    calls = [
        lambda n=n, i=i: request(
            cluster.nginx.url,
            "POST",
            "/api/v1/auth/token",
            json.dumps({"username": n, "password": f.PASSWORD}),
            {"Content-Type": "application/json"},
            phone=f"127.0.{first_phone + i // 200}.{1 + i % 200}",
        )[0]
        for i, n in enumerate(names)
    ]
    return at_once(calls)


def test_redis_down_and_back_sign_in_keeps_working(cluster, fresh):
    ent = f.org("Ent")
    names = [f.user(f"phone{i}", ent).username for i in range(ROUND)]
    before = sign_ins(cluster, names, 10)
    cluster.redis.stop(signal.SIGKILL)
    during = sign_ins(cluster, names, 11) + sign_ins(cluster, names, 12)
    cluster.redis.start()
    after = sign_ins(cluster, names, 13)
    assert before == during[:ROUND] == during[ROUND:] == after == [200] * ROUND, (before, during, after)
    logs = "".join(a.log() for a in cluster.apps)
    switches = logs.count("falling back to in-memory storage")
    assert 1 <= switches <= sum(a.workers for a in cluster.apps), switches  # once per process
    wait_until(lambda: "Huey consumer" in cluster.runner.log(), "runner")
    assert cluster.runner.proc.poll() is None, "the job runner died with Redis"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_redis_unreachable_from_the_start_sign_in_works(db_url, tmp_path):
    """A server whose limit storage was never reachable still signs people in, and still limits
    them (in its memory)."""
    from booking import create_app
    from booking.extensions import db
    from tests.conftest import make_config
    from tests.tools.cluster import free_port

    app = create_app(
        make_config(
            db_url,
            RATELIMIT_ENABLED=True,
            LOGIN_LIMIT_PER_ADDRESS="3/minute",
            RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
            RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 0.5},
        )
    )  # fallback: DEFAULTS
    with app.app_context():
        f.user("alone", f.org("Ent"))
    client = app.test_client()
    statuses = [
        client.post("/api/v1/auth/token", json={"username": "alone", "password": f.PASSWORD}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429], statuses
    with app.app_context():
        db.engine.dispose()
