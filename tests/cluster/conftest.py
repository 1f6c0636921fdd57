"""The cluster tier: the real parts of `make cluster`, started from the tests on free loopback ports.

One cluster per test session: the session's PostgreSQL server (tests/conftest.py) with its own
database, Redis, two gunicorn app servers (each with its own instance/ folder), nginx in front,
and a job runner. Tests build their data from this process (factories on the same database).
"""

import secrets

import pytest

from booking import create_app
from booking.extensions import db
from tests.conftest import make_config, migrate
from tests.tools.cluster import AppServer, Nginx, Redis, Runner, app_environment, free_port


class Cluster:
    def __init__(self, folder, url, redis, apps, nginx, runner, env):
        self.folder, self.url, self.redis, self.apps = folder, url, redis, apps
        self.nginx, self.runner, self.env = nginx, runner, env


@pytest.fixture(scope="session")
def cluster(pg_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    url = pg_server.create_database("booking_cluster")
    migrate(url)
    started = []  # stopped whatever happens, even if a later part fails to come up
    try:
        redis = Redis(folder / "redis", free_port())
        started.append(redis)
        redis.start()
        env = app_environment(
            url,
            redis.url,
            secrets.token_hex(32),
            secrets.token_urlsafe(32),
            LOGIN_LIMIT_PER_ADDRESS="5/minute",
            LOGIN_LIMIT_PER_USERNAME="1000/minute",
        )
        apps = [AppServer(f"app{i}", folder / f"app{i}", free_port(), env) for i in (1, 2)]
        runner = Runner("runner", folder / "runner", env)
        started += [*apps, runner]
        for part in (*apps, runner):
            part.launch()
        for part in (*apps, runner):
            part.ready()
        nginx = Nginx(folder / "nginx", free_port(), [a.port for a in apps])
        started.append(nginx)
        nginx.start()
        yield Cluster(folder, url, redis, apps, nginx, runner, env)
    finally:
        for part in reversed(started):
            part.stop(part.fast_stop)


@pytest.fixture
def cdb(cluster):
    """An app context on the cluster's database, for building data and checking it."""
    app = create_app(make_config(cluster.url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh(cluster, cdb):
    """Each test starts from an empty cluster database, with every app server up (a test may
    have killed one: it is started again here, when the next test needs it)."""
    from tests.conftest import _truncate_pg

    for server in cluster.apps:
        if server.proc is None or server.proc.poll() is not None:
            server.stop(server.fast_stop)
            server.start()
    _truncate_pg(cdb.config["SQLALCHEMY_DATABASE_URI"])
    return cdb
