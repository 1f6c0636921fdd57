"""The multi-server shape on loopback: PostgreSQL, Redis, gunicorn app servers, nginx, a job runner.

Used two ways:
* `make cluster` / `make cluster-stop` (python -m tests.tools.cluster start|stop): a lasting
  cluster whose data, logs and environment file live in .cluster/ (ports and secrets are made
  once, on the first start, into .cluster/cluster.env);
* the cluster tier of the tests (tests/cluster/), which starts the same parts on free ports in a
  temp folder and stops them at the end.
The production shape of the same (nginx site, systemd units) is in deploy/; docs/deploy.md.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.tools.pgserver import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.05)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """A child process with its own log file and process group (killed as a whole)."""

    fast_stop = signal.SIGINT  # the signal that ends it quickly when nothing needs to be kept

    def __init__(self, name: str, folder: Path):
        self.name, self.folder = name, folder
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None

    def spawn(self, cmd: list[str], env: dict, cwd: Path = ROOT) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        (self.folder / f"{self.name}.pid").write_text(str(self.pid))
        log.close()

    def send(self, sig: int) -> None:
        pid = self.pid or _read_pid(self.folder / f"{self.name}.pid")
        if pid:
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        pid = self.pid or _read_pid(self.folder / f"{self.name}.pid")
        self.send(sig)
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.send(signal.SIGKILL)
                self.proc.wait(5)
        elif pid:  # started by an earlier `make cluster`: not our child, poll until it is gone
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                self.pid = pid
                self.send(signal.SIGKILL)
        (self.folder / f"{self.name}.pid").unlink(missing_ok=True)
        self.proc = self.pid = None

    def log(self) -> str:
        path = self.folder / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


class Redis(Process):
    def __init__(self, folder: Path, port: int):
        super().__init__("redis", folder)
        self.port = port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        self.spawn(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            dict(os.environ),
        )
        wait_until(lambda: port_open(self.port), "redis")
        return self


class AppServer(Process):
    """gunicorn with the app, its own instance/ folder (so nothing per-folder may matter)."""

    fast_stop = signal.SIGKILL  # gunicorn's quick stop (INT) still takes seconds; tests are done

    def __init__(self, name: str, folder: Path, port: int, env: dict, workers: int = 2, wsgi: str = "wsgi:app"):
        super().__init__(name, folder)
        self.port, self.env, self.workers, self.wsgi = port, env, workers, wsgi

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> "AppServer":
        env = dict(self.env, INSTANCE_PATH=str(self.folder / "instance"))
        self.spawn(
            [
                str(VENV_BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--access-logfile",
                "-",
                self.wsgi,
            ],
            env,
        )
        return self

    def ready(self) -> "AppServer":
        wait_until(lambda: _healthy(self.url), f"app server {self.name}", 90)
        return self

    def start(self) -> "AppServer":
        return self.launch().ready()


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
        return r.status == 200


class Runner(Process):
    """The Huey consumer (the job runner): its scheduler enqueues the periodic jobs."""

    fast_stop = signal.SIGTERM  # huey: TERM stops at once, INT waits for the workers' polls

    def __init__(self, name: str, folder: Path, env: dict):
        super().__init__(name, folder)
        self.env = env

    def launch(self) -> "Runner":
        env = dict(self.env, INSTANCE_PATH=str(self.folder / "instance"))
        self.spawn(
            [
                str(VENV_BIN / "huey_consumer"),
                "booking.jobs.tasks.huey",
                "--workers",
                "2",
                "-k",
                "thread",
                "--max-delay",
                "2",
            ],
            env,
        )
        return self

    def ready(self) -> "Runner":
        wait_until(lambda: "Huey consumer started" in self.log(), f"runner {self.name}", 90)
        return self

    def start(self) -> "Runner":
        return self.launch().ready()


NGINX_CONF = """\
{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    upstream app_servers {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
{site}
    }}
}}
"""


def nginx_site(static: Path) -> str:
    """The server block's body, shared with deploy/nginx/shared-venues.conf (keep them in step)."""
    return (ROOT / "deploy" / "nginx" / "locations.conf").read_text().replace("/srv/shared-venues/static", str(static))


class Nginx(Process):
    def __init__(self, folder: Path, port: int, upstreams: list[int]):
        super().__init__("nginx", folder)
        self.port, self.upstreams = port, upstreams

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Nginx":
        (self.folder / "tmp").mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in self.upstreams)
        conf = NGINX_CONF.format(
            user="user root;\n" if os.geteuid() == 0 else "",
            folder=self.folder,
            servers=servers,
            port=self.port,
            site=nginx_site(ROOT / "static"),
        )
        (self.folder / "nginx.conf").write_text(conf)
        self.spawn(
            ["nginx", "-c", str(self.folder / "nginx.conf"), "-p", str(self.folder), "-g", "daemon off;"],
            dict(os.environ),
        )
        wait_until(lambda: port_open(self.port), "nginx")
        return self


class Postgres(PostgresServer):
    """PostgresServer in a folder that outlives it (`make cluster`), or a temp one (tests)."""

    def __init__(self, folder: Path | None = None, port: int | None = None):
        super().__init__()
        if folder is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
            if self.run_as:
                os.chmod(folder, 0o777)
            self.dir, self.keep = str(folder), True
        else:
            self.keep = False
        if port:
            self.port = port

    def start(self) -> "Postgres":
        data = os.path.join(self.dir, "data")
        if os.path.exists(os.path.join(data, "PG_VERSION")):
            opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
            self._run("pg_ctl", "-D", data, "-o", opts, "-l", os.path.join(self.dir, "log"), "-w", "-t", "60", "start")
            return self
        super().start()
        return self

    def stop(self) -> None:
        if not self.keep:
            return super().stop()
        try:
            self._run("pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError:
            pass


def app_environment(database_url: str, redis_url: str, secret_key: str, qr_secret: str, **extra) -> dict:
    """What every server of the cluster must share (docs/deploy.md)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INSTANCE_PATH")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "QR_KEY_SECRET": qr_secret,
            "RATELIMIT_STORAGE_URI": redis_url,
            "JOBS_URL": redis_url,
            "TRUSTED_PROXY_HOPS": "1",
            "REQUIRE_SHARED_SECRETS": "1",
        }
    )
    env.update(extra)
    return env


def flask(env: dict, *args: str) -> str:
    out = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return out.stdout


# --- make cluster -----------------------------------------------------------------------------

FOLDER = ROOT / ".cluster"
ENV_FILE = FOLDER / "cluster.env"


def _settings(port: int, servers: int) -> dict:
    """Ports and secrets, made once on the first start and kept in .cluster/cluster.env."""
    if ENV_FILE.exists():
        return dict(
            line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line and not line.startswith("#")
        )
    settings = {
        "PORT": str(port),
        "PG_PORT": str(free_port()),
        "REDIS_PORT": str(free_port()),
        "APP_PORTS": ",".join(str(free_port()) for _ in range(servers)),
        "SECRET_KEY": secrets.token_hex(32),
        "QR_KEY_SECRET": secrets.token_urlsafe(32),
    }
    FOLDER.mkdir(exist_ok=True)
    fd = os.open(ENV_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# made by `make cluster` once; every server of the cluster shares it\n")
        f.writelines(f"{k}={v}\n" for k, v in settings.items())
    return settings


def start(port: int, servers: int, workers: int) -> None:
    s = _settings(port, servers)
    pid = _read_pid(FOLDER / "nginx" / "nginx.pid")
    if pid and _alive(pid):
        print(f"cluster already up: http://127.0.0.1:{s['PORT']}  (`make cluster-stop` ends it)")
        return
    pg = Postgres(FOLDER / "pg", int(s["PG_PORT"])).start()
    first = not _database_exists(pg)
    if first:
        pg.create_database("booking")
    redis = Redis(FOLDER / "redis", int(s["REDIS_PORT"])).start()
    env = app_environment(pg.url("booking"), redis.url, s["SECRET_KEY"], s["QR_KEY_SECRET"])
    flask(env, "db", "upgrade")
    print(flask(env, "seed-demo", "--if-empty").strip(), flush=True)
    ports = [int(p) for p in s["APP_PORTS"].split(",")]
    parts = [AppServer(f"app{i}", FOLDER / f"app{i}", p, env, workers).launch() for i, p in enumerate(ports, 1)]
    parts.append(Runner("runner", FOLDER / "runner", env).launch())
    for part in parts:
        part.ready()
    Nginx(FOLDER / "nginx", int(s["PORT"]), ports).start()
    print(
        f"cluster up: http://127.0.0.1:{s['PORT']}  ({len(ports)} app servers, PostgreSQL :{s['PG_PORT']}, "
        f"Redis :{s['REDIS_PORT']}, a job runner; logs and data in .cluster/; `make cluster-stop` ends it)"
    )


def _database_exists(pg: Postgres) -> bool:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = 'booking'").fetchone() is not None


def stop() -> None:
    if not ENV_FILE.exists():
        print("no cluster in .cluster/")
        return
    s = _settings(0, 0)
    Nginx(FOLDER / "nginx", 0, []).stop()
    Runner("runner", FOLDER / "runner", {}).stop()
    for i, _ in enumerate(s["APP_PORTS"].split(","), 1):
        AppServer(f"app{i}", FOLDER / f"app{i}", 0, {}).stop()
    Redis(FOLDER / "redis", 0).stop()
    Postgres(FOLDER / "pg", int(s["PG_PORT"])).stop()
    print("cluster stopped (data kept in .cluster/)")


def main(argv: list[str]) -> int:
    if argv[:1] == ["stop"]:
        stop()
        return 0
    if argv[:1] == ["start"]:
        start(
            int(os.environ.get("PORT", "8080")),
            int(os.environ.get("SERVERS", "2")),
            int(os.environ.get("WORKERS", "2")),
        )
        return 0
    print("usage: python -m tests.tools.cluster start|stop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
