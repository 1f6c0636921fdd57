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
    calls = [lambda n=n, i=i: request(cluster.nginx.url, "POST", "/api/v1/auth/token",
                                      json.dumps({"username": n, "password": f.PASSWORD}),
                                      {"Content-Type": "application/json"},
                                      phone=f"127.0.{first_phone + i // 200}.{1 + i % 200}")[0]
             for i, n in enumerate(names)]
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
