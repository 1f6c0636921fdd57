"""Test fixtures: every database test runs on an SQLite file and on a real PostgreSQL server.

The PostgreSQL server is started once per test session from the installed binaries, in a
temp directory. Each test gets a freshly migrated database (SQLite: a copy of a migrated
file; PostgreSQL: the migrated database, emptied).
"""

import os
import shutil
import tempfile
from types import SimpleNamespace

import jinja2
import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from werkzeug.routing import Rule

from booking import create_app
from booking.extensions import db
from tests.tools.pgserver import PostgresServer

pytest_plugins = ["tests.notify_fixtures"]  # smtp, push, wecom, peers_config

BACKENDS = ["sqlite", "postgresql"]
# Under `make test` (pytest-xdist, --dist loadgroup) each worker is its own session: its own
# PostgreSQL server, SQLite template and QR key folder. The browser tests run on one worker, one
# at a time (one Chromium and one live server for all of them). The races (each forks its own
# crowd of processes, and SQLite's writers queue on a busy timeout) get the machine to
# themselves: `make test` runs `-m race` after the parallel part; every test under tests/races
# carries the mark, and the group keeps them on one worker if someone runs them under -n.
# The cluster tier (one PostgreSQL database, Redis, nginx and two gunicorn servers per session)
# is its own group: one worker starts the cluster, not each. The groups are set before
# pytest-xdist's worker hook reads them (tryfirst), and named in the node id here (_name_group).
SERIAL_GROUPS = {"races": "serial", "e2e": "serial", "cluster": "cluster"}
MARKS = {"races": "race", "e2e": "e2e", "cluster": "cluster"}
# QR signing keys of the test session (never the repository's instance/ folder).
QR_KEY_DIR = tempfile.mkdtemp(prefix="booking-test-qr-keys-")


def _keep_url_builders() -> None:
    """Werkzeug writes and compiles two URL-builder functions (ast, then compile()) for every
    route each time an app is built: nine tenths of create_app's time with ~130 routes, and the
    suite builds an app for nearly every test. The function it writes depends only on the rule's
    text, its parsed parts and its defaults, and reads the converters through the rule it is
    bound to at call time; so the test process keeps each function Werkzeug wrote and gives it
    to the same rule of the next app (Rule.compile still binds it to that rule). Rules with
    defaults are compiled as usual. tests/unit/test_url_builders.py checks the kept functions
    are the ones Werkzeug writes."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "kept", False):
        return  # another Werkzeug: every app compiles its own, as in production
    kept: dict = {}

    def keep(self, append_unknown=True):
        if self.defaults:
            return compile_builder(self, append_unknown)
        key = (type(self), self.rule, tuple(self._trace), append_unknown)
        if key not in kept:
            kept[key] = compile_builder(self, append_unknown)
        return kept[key]

    keep.kept = True
    keep.original = compile_builder
    Rule._compile_builder = keep


_keep_url_builders()


class KeptTemplates(jinja2.BytecodeCache):
    """Jinja's bytecode cache (a public Jinja option), in memory for the test process: every
    app the suite builds gets a new Jinja environment, which would parse and compile each
    template again. A template is still read from its file each time it is loaded, and Jinja
    uses the kept code only while the file's checksum matches."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": KeptTemplates()}


def make_config(url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "DEFAULT_TIMEZONE": "Asia/Shanghai",
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": False,
        "LOGIN_LIMIT_PER_USERNAME": "5/minute",
        "LOGIN_LIMIT_PER_ADDRESS": "100/minute",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; production uses scrypt
        "SERVER_NAME": None,
        "QR_KEY_DIR": QR_KEY_DIR,
    }
    config.update(extra)
    return config


def migrate(url: str) -> None:
    import flask_migrate

    app = create_app(make_config(url))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.nodeid.split("/")
        group = SERIAL_GROUPS.get(parts[1]) if len(parts) > 2 and parts[0] == "tests" else None
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
            item.add_marker(MARKS[parts[1]])
            if config.getoption("loadgroup", default=False):
                _name_group(item, group)


def _name_group(item, group: str) -> None:
    """pytest-xdist's loadgroup reads an item's group from a `@group` suffix of its node id, which
    its worker hook writes into `item._nodeid`; pytest 9.2 keeps the id in `item._id` instead, so
    the suffix is lost and the group's tests are spread over every worker (pytest-xdist #1386,
    fix pending in #1388). Until then the suffix is written where pytest 9.2 reads it."""
    if "@" in item.nodeid.rpartition("]")[2] or not hasattr(item, "_id"):
        return  # xdist named it (an older pytest), or another pytest: nothing to do
    from _pytest.nodeid import NodeId

    item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server):
    url = pg_server.create_database("booking_test")
    migrate(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


_OWNED_SEQUENCES = text("""
    SELECT n.nspname, s.relname
    FROM pg_class s
    JOIN pg_namespace n ON n.oid = s.relnamespace
    JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
    JOIN pg_class t ON t.oid = d.refobjid
    WHERE s.relkind = 'S' AND t.relname = ANY(:tables)
    ORDER BY 1""")
_emptiers: dict[str, tuple] = {}


def _truncate_pg(url: str) -> None:
    """Empty every table of the schema and restart the sequences the tables own: what
    `TRUNCATE <all> RESTART IDENTITY CASCADE` does, in a few milliseconds instead of a tenth
    of a second (TRUNCATE makes new files for every table; DELETE of the few rows a test wrote
    does not). Foreign-key triggers are off for the transaction (session_replication_role), so the
    tables empty in any order. One connection per database for the session, checked before use
    (a test may cut the database's connections); a forked child forgets it (_forget_emptiers)."""
    if url not in _emptiers:
        engine = create_engine(url, pool_size=1, pool_pre_ping=True)
        tables = [t.name for t in db.metadata.sorted_tables]
        with engine.connect() as conn:
            sequences = list(conn.execute(_OWNED_SEQUENCES, {"tables": tables}))
        statements = ["SET LOCAL session_replication_role = replica"]
        statements += [f'DELETE FROM "{t}"' for t in tables]
        # ALTER SEQUENCE ... RESTART would make a new file per sequence too: setval() to the
        # start value (is_called false: the next id is the start value) for those used.
        names = ", ".join(f"('{schema}', '{name}')" for schema, name in sequences)
        statements.append(
            "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), "
            "start_value, false) FROM pg_sequences "
            f"WHERE last_value IS NOT NULL AND (schemaname, sequencename) IN ({names})"
        )
        _emptiers[url] = (engine, ";\n".join(statements))
    engine, sql = _emptiers[url]
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)


def _forget_emptiers() -> None:
    for engine, _ in _emptiers.values():
        engine.dispose(close=False)  # the parent's connection stays the parent's


os.register_at_fork(after_in_child=_forget_emptiers)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def db_url(backend, request, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    _truncate_pg(url)
    return url


@pytest.fixture
def app_config():
    """Extra settings for a test's app; override in a module or a test."""
    return {}


@pytest.fixture
def app(db_url, app_config):
    app = create_app(make_config(db_url, **app_config))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context for calling services directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    from tests.helpers import WebClient

    return WebClient(app)


@pytest.fixture
def api(app):
    from tests.helpers import ApiClient

    return ApiClient(app)


class BuiltWorld:
    """Data built once (a module's world) in a migrated SQLite file, copied fresh for each test.

    `world` holds the built objects frozen as plain namespaces of their column values, so a
    test reads ids and names without a session. Use it for modules whose every test starts
    from the same large world (the permission matrices): build it in a module-scoped fixture
    with `build_once`, then either override `db_url` with `built.copy(tmp_path)` (an app per
    test), or share one app per module and put its database back before each test with
    `built.restore(app)` (the app's own settings cache stays exact: a restored database has the
    settings token it was built with, and every entry under that token was read from it).
    """

    def __init__(self, path, world):
        self.path = path
        self.world = world
        self.live = path.with_name("live.sqlite3")

    def copy(self, tmp_path) -> str:
        path = tmp_path / "test.sqlite3"
        shutil.copy(self.path, path)
        return f"sqlite:///{path}"

    @property
    def live_url(self) -> str:
        return f"sqlite:///{self.live}"

    def restore(self, app) -> None:
        """Put the shared app's database file (`live_url`) back as it was built."""
        with app.app_context():
            db.engine.dispose()  # the last connection closed checkpoints and removes the WAL
        for suffix in ("-wal", "-shm"):
            self.live.with_name(self.live.name + suffix).unlink(missing_ok=True)
        shutil.copy(self.path, self.live)


def _frozen(value):
    try:
        mapper = inspect(value).mapper
    except Exception:  # not a mapped object: kept as it is
        return value
    return SimpleNamespace(**{attr.key: getattr(value, attr.key) for attr in mapper.column_attrs})


def build_once(sqlite_template, tmp_path_factory, build, **config) -> BuiltWorld:
    """Run `build()` (in an app context, on a fresh migrated SQLite file) once; see BuiltWorld."""
    path = tmp_path_factory.mktemp("built") / "built.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(make_config(f"sqlite:///{path}", **config))
    with app.app_context():
        world = build()
        frozen = SimpleNamespace(**{name: _frozen(value) for name, value in vars(world).items()})
        db.session.remove()
        db.engine.dispose()
    return BuiltWorld(path, frozen)


def shared_world(build):
    """The fixtures of a module whose tests share one world, built once (build_once) and one app:
    `built`, `module_app`, `app` (its database put back as built before each test) and `world`.
    In the module: `built, module_app, app, world = shared_world(build_world)`."""

    @pytest.fixture(scope="module")
    def built(sqlite_template, tmp_path_factory):
        return build_once(sqlite_template, tmp_path_factory, build)

    @pytest.fixture(scope="module")
    def module_app(built):
        app = create_app(make_config(built.live_url))
        yield app
        with app.app_context():
            db.engine.dispose()

    @pytest.fixture
    def app(module_app, built):
        built.restore(module_app)
        return module_app

    @pytest.fixture
    def world(built):
        return built.world

    return built, module_app, app, world
