"""`make bench`: the API under load, on this machine, every figure from one run.

    make bench                         # SQLite (default)
    make bench BENCH_DB=postgresql     # the same against a throwaway PostgreSQL server

Steps (docs/benchmarks.md explains the figures):
  1. a fresh database (SQLite file in a temp dir, or a PostgreSQL server started from the
     Debian binaries), `flask db upgrade`, `flask seed-demo --workers 2000`, then one bearer
     token per worker written straight into api_tokens (sha256 of a random token, exactly as
     accounts.services.issue_token stores it; signing in 2,000 times would cost minutes of
     scrypt);
  2. the app served by gunicorn as `make run` serves it (sync workers, its access log, to a
     file here) on 127.0.0.1, a free port; the bare baseline app (tests/bench/baseline_app.py)
     served the same way;
  3. wrk (Debian's, installed when missing and we are root) with tests/bench/requests.lua:
       h. GET .../availability on the baseline app: a bare Flask hello-world of the same shape
       a. GET /healthz on the app                  the app's own hooks, nothing else
       b. POST /book on the baseline app, the bare guarded insert (always 201)
       c. GET /api/v1/facilities/<id>/availability?date=...   (2,000 tokens, rotating)
       d. the rush: 2,000 workers POST /api/v1/reservations for one evening's slots (mostly 409)
       e. the success rush: distinct free slots on a bench host (every answer a 201)
     A ceiling run (h, a, b) with errors, timeouts, non-2xx answers or too few requests fails
     the bench (no ratio is printed from it). Each run reports the CPU used by the server,
     the database, wrk and other processes; on PostgreSQL, the wait events of the app's
     connections sampled from pg_stat_activity (and ungranted pg_locks) during each run.
     Then an integrity check in SQL (capacity, counters, quotas): FAIL exits non-zero;
  4. scale: ~1,000,000 historical reservations inserted by SQL, then (c) and (d) again
     (the rush's bookings are deleted first, so it races for the same empty slots);
  5. a summary table (also bench-out/report.md and bench-out/results.json).

Knobs (environment): BENCH_DB=sqlite|postgresql, BENCH_DURATION=10 (seconds per run),
BENCH_ACCESS_LOG=run|gunicorn|off (as `make run`: booking.accesslog; gunicorn's own; none),
BENCH_MIN_CEILING_RPS=100 (a read ceiling slower than that, or the bare insert slower than a
fifth of it, is refused; so is a ceiling slower than the availability read it bounds),
BENCH_GUNICORN_WORKERS=2 (as `make run`), BENCH_CONNECTIONS=8, BENCH_WRK_THREADS=1,
BENCH_SCALE_ROWS=1000000 (0 skips step 4), BENCH_SEED_WORKERS=2000, BENCH_OUT=bench-out,
BENCH_KEEP=1 keeps the temp dir (database, logs), BENCH_WAIT_QUIET=120 waits (up to that many
seconds) before each measured run until other processes leave the CPU alone, BENCH_ROUNDS=3:
the runs of each goal alternate that many times (h, a, c, h, a, c, ...; then b, e, b, e, ...;
each success round on free slots of its own), and each kind reports its median round (every
round's req/s is listed): one 10 s run on a small shared machine moves by ±10 %.
"""

import hashlib
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LUA = Path(__file__).with_name("requests.lua")
TZ = "Asia/Shanghai"

DB_KIND = os.environ.get("BENCH_DB", "sqlite")
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))  # as `make run`: one per core
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "1"))
SCALE_ROWS = int(os.environ.get("BENCH_SCALE_ROWS", "1000000"))
SEED_WORKERS = int(os.environ.get("BENCH_SEED_WORKERS", "2000"))
OUT = ROOT / os.environ.get("BENCH_OUT", "bench-out")
KEEP = os.environ.get("BENCH_KEEP") == "1"
WAIT_QUIET = int(os.environ.get("BENCH_WAIT_QUIET", "0"))  # seconds to wait for a quiet machine
ACCESS_LOG = os.environ.get("BENCH_ACCESS_LOG", "run")
MIN_CEILING_RPS = float(os.environ.get("BENCH_MIN_CEILING_RPS", "100"))  # reads; writes: a fifth
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))  # each goal's two runs, alternated this many times
RUSH_FACILITIES = 100 * ROUNDS  # the success rush's bench host: 100 courts a round, every request a new slot
EVENING = (19 * 60, 20 * 60)  # slots starting 19:00 and 20:00 local: the 19:00-21:00 rush
SCALE_FACILITIES = 100

# Goals (product brief / lead engineer)
GOAL_BOOKING_RATIO = 0.50
GOAL_BOOKING_P99_MS = 250
GOAL_AVAILABILITY_RATIO = 0.40


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- tools and servers --------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is not installed: apt-get install wrk (as root), then run make bench again")
    log("installing wrk (apt-get install wrk)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk still missing after apt-get install")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def access_log_flags(path: Path) -> list[str]:
    """gunicorn's access-log options, as `make run` gives them (Makefile), to a file here."""
    if ACCESS_LOG == "off":
        return []
    flags = ["--access-logfile", str(path)]
    if ACCESS_LOG == "run":
        flags += ["--logger-class", "booking.accesslog.AccessLogger"]
    elif ACCESS_LOG != "gunicorn":
        sys.exit("BENCH_ACCESS_LOG is run, gunicorn or off")
    return flags


class Gunicorn:
    """A gunicorn master in its own process group, stopped by that group's id."""

    def __init__(self, app: str, env: dict, logdir: Path, name: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = logdir / f"{name}-gunicorn.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--worker-class",
                "sync",
                "--backlog",
                "2048",
                "--timeout",
                "60",
                *access_log_flags(logdir / f"{name}-access.log"),
                "--error-logfile",
                "-",
                "--log-level",
                "warning",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        time.sleep(1.0)  # let every worker finish booting
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after 60 s: see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.log.close()


CLK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1
DB_PIDS: list[int] = []  # the PostgreSQL server's postmaster, when there is one


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants."""
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class WaitSampler:
    """PostgreSQL: what the app's connections are doing, sampled every 20 ms in a thread from
    pg_stat_activity (state and wait event of each client backend of the database), and the
    lock requests not granted (pg_locks), so a run that waits shows on what."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine

        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.waits: dict[str, int] = {}
        self.locks: dict[str, int] = {}
        self.samples = 0
        self._stop = None

    def __enter__(self):
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join(timeout=10)
        self.engine.dispose()

    def _run(self) -> None:
        from sqlalchemy import text

        activity = text(
            "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()"
        )
        locks = text("SELECT locktype, mode FROM pg_locks WHERE NOT granted")
        with self.engine.connect() as conn:
            while not self._stop.wait(0.02):
                self.samples += 1
                for state, kind, event in conn.execute(activity):
                    if state == "idle":
                        continue  # between requests: nothing to wait for
                    if state == "active":
                        key = f"{kind}:{event}" if kind else "running (CPU)"
                    else:  # idle in transaction: the app holds a transaction while it computes
                        key = f"{state} (app side)"
                    self.waits[key] = self.waits.get(key, 0) + 1
                for locktype, mode in conn.execute(locks):
                    key = f"{locktype} {mode}"
                    self.locks[key] = self.locks.get(key, 0) + 1

    def summary(self) -> dict:
        busy = sum(self.waits.values())
        return {
            "samples": self.samples,
            "busy_connections_avg": round(busy / max(self.samples, 1), 2),
            "share": {k: round(v / max(busy, 1), 3) for k, v in sorted(self.waits.items(), key=lambda kv: -kv[1])},
            "ungranted_locks_avg": {
                k: round(v / max(self.samples, 1), 2) for k, v in sorted(self.locks.items(), key=lambda kv: -kv[1])
            },
        }


SAMPLE_URL: list[str] = []  # PostgreSQL: the app's database, whose connections are sampled


class RunRefused(Exception):
    """A run whose figures cannot be used (errors, timeouts, too few answers)."""


def wrk(server: "Gunicorn", requests_file: Path, duration: int, connections: int = None, sample: bool = False) -> dict:
    """One wrk run; returns throughput, latency (ms), counts by status and error code, and
    where the CPU went: the server's (per request and as a share of the machine), the
    database's, wrk's, and other processes' (noise)."""
    connections = connections or CONNECTIONS
    url = server.url
    server_cpu0 = tree_cpu_seconds(server.proc.pid)
    db_cpu0 = sum(tree_cpu_seconds(p) for p in DB_PIDS)
    env = dict(os.environ, BENCH_REQUESTS=str(requests_file), BENCH_THREADS=str(WRK_THREADS))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = WaitSampler(SAMPLE_URL[0]) if sample and SAMPLE_URL else None
    busy0, total0 = cpu_times()
    t0 = time.time()
    if sampler:
        sampler.__enter__()
    try:
        proc = subprocess.run(
            [
                "wrk",
                "-t",
                str(WRK_THREADS),
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--timeout",
                "10s",
                "-s",
                str(LUA),
                url,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=duration + 60,
        )
    finally:
        if sampler:
            sampler.__exit__(None, None, None)
    time.sleep(0.5)  # requests still queued in the listen backlog finish
    busy1, total1 = cpu_times()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = tree_cpu_seconds(server.proc.pid) - server_cpu0
    db_cpu = sum(tree_cpu_seconds(p) for p in DB_PIDS) - db_cpu0
    line = next((l for l in proc.stdout.splitlines() if l.startswith("BENCH_RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RunRefused(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    r = json.loads(line[len("BENCH_RESULT ") :])
    secs = r["duration_us"] / 1e6
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    machine_cpu = (busy1 - busy0) / CLK
    wall = time.time() - t0
    return {
        "requests": r["requests"],
        "seconds": round(secs, 2),
        "rps": r["requests"] / secs,
        "p50_ms": r["p50_us"] / 1000,
        "p95_ms": r["p95_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "max_ms": r["max_us"] / 1000,
        "statuses": dict(sorted(r["statuses"].items())),
        "codes": dict(sorted(r["codes"].items(), key=lambda kv: -kv[1])),
        "socket_errors": {k: v for k, v in r["errors"].items() if v and k != "status"},
        "connections": connections,
        "wrk_cpu_pct": round(100 * wrk_cpu / wall, 1),
        "machine_cpu_pct": round(100 * (busy1 - busy0) / max(total1 - total0, 1), 1),
        "server_cpu_ms_per_req": round(1000 * server_cpu / max(r["requests"], 1), 2),
        "server_cpu_cores": round(server_cpu / wall, 2),
        "server_cpu_pct": round(100 * server_cpu / wall / NPROC, 1),
        "db_cpu_ms_per_req": round(1000 * db_cpu / max(r["requests"], 1), 2),
        "db_cpu_pct": round(100 * db_cpu / wall / NPROC, 1),
        "other_cpu_cores": round(max(machine_cpu - server_cpu - db_cpu - wrk_cpu, 0) / wall, 2),
        **({"pg_waits": sampler.summary()} if sampler else {}),
    }


def refuse_unusable(name: str, r: dict, ceiling: bool) -> None:
    """A run with socket errors or timeouts, or (a ceiling) with non-2xx answers or fewer than
    MIN_CEILING_RPS requests a second, measured something broken: no ratio may come from it."""
    problems = []
    if r["socket_errors"]:
        problems.append(f"socket errors/timeouts {r['socket_errors']}")
    if r["requests"] == 0:
        problems.append("no answer at all")
    if ceiling:
        bad = {k: v for k, v in r["statuses"].items() if not k.startswith("2")}
        if bad:
            problems.append(f"non-2xx answers {bad}")
        least = MIN_CEILING_RPS / 5 if name == "baseline" else MIN_CEILING_RPS
        if r["rps"] < least:
            problems.append(f"{r['requests']} requests in {r['seconds']} s ({r['rps']:.0f}/s < {least:.0f}/s)")
    if problems:
        raise RunRefused(f"run {name} is unusable: {'; '.join(problems)}")


def wait_quiet(limit: int) -> float:
    """Before a run (our servers idle): wait up to `limit` s until other processes use < 0.15
    core over one second; returns the CPU (cores) others used in the last sample."""
    deadline = time.time() + limit
    while True:
        busy0, _ = cpu_times()
        time.sleep(1.0)
        busy1, _ = cpu_times()
        others = (busy1 - busy0) / CLK
        if others < 0.15 or time.time() >= deadline:
            return round(others, 2)


def median_round(seen: list[dict]) -> dict:
    """The round whose req/s is the median of a kind's rounds (the lower middle of an even
    count): its figures (CPU, latency, answers) come from that one run."""
    return sorted(seen, key=lambda r: r["rps"])[(len(seen) - 1) // 2]


def write_requests(path: Path, rows) -> Path:
    with open(path, "w") as f:
        for method, target, token, body in rows:
            f.write(f"{method}\t{target}\t{token or '-'}\t{json.dumps(body) if body else '-'}\n")
    return path


# --- the database, through the app --------------------------------------------------------


def flask_cli(env: dict, *args: str) -> None:
    proc = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def make_app(url: str):
    os.environ["DATABASE_URL"] = url
    from booking import create_app

    return create_app()


def create_tokens(app) -> list[dict]:
    """One bearer token per seeded worker, stored as accounts.services.issue_token stores it."""
    from sqlalchemy import select

    from booking.accounts.models import ApiToken, User
    from booking.extensions import db

    now = datetime.now(timezone.utc)
    with app.app_context():
        users = db.session.execute(
            select(User.id, User.username, User.enterprise_id)
            .where(User.username.like("worker%"), User.status == "active")
            .order_by(User.id)
        ).all()
        out, rows = [], []
        for u in users:
            token = secrets.token_urlsafe(32)
            out.append({"user_id": u.id, "username": u.username, "enterprise_id": u.enterprise_id, "token": token})
            rows.append(
                {
                    "user_id": u.id,
                    "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "label": "bench",
                    "created_at": now,
                    "expires_at": now + timedelta(days=1),
                }
            )
        db.session.execute(ApiToken.__table__.insert(), rows)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


def plan(app, workers: list[dict]) -> dict:
    """The rush day (first day whose evening slots are bookable now at every facility), and
    the facilities each enterprise may book, asked of the app's own services."""
    from booking import timeutil
    from booking.accounts.models import User
    from booking.extensions import db
    from booking.facilities import rules
    from booking.facilities.services import slot_rules, visible_facilities

    now = timeutil.utcnow()
    today = timeutil.local_date(now, TZ)
    with app.app_context():
        reps = {}
        for w in workers:
            reps.setdefault(w["enterprise_id"], w["user_id"])
        for offset in range(1, 8):
            day = today + timedelta(days=offset)
            allowed, facilities, ok = {}, {}, True
            for ent, uid in reps.items():
                user = db.session.get(User, uid)
                # first-come only: a draw facility's slots are applied for, not booked, in a rush
                facs = [f for f in visible_facilities(user, day) if f.allocation != "draw"]
                allowed[ent] = [f.id for f in facs]
                for f in facs:
                    facilities[f.id] = f
            for f in facilities.values():
                sr = slot_rules(f)
                for minute in EVENING:
                    start = timeutil.local_to_utc(day, minute, sr.timezone)
                    if rules.slot_at(sr, start) is None or rules.window_problem(sr, start, now):
                        ok = False
            if ok:
                break
        else:
            raise RuntimeError("no day in the booking window has bookable evening slots")
        info = {
            f.id: {
                "name": f.name,
                "capacity": f.capacity,
                "host_id": f.venue.host_id,
                "requires_approval": f.requires_approval,
            }
            for f in facilities.values()
        }
        db.session.remove()
        db.engine.dispose()
    starts = [timeutil.isoformat_local(timeutil.local_to_utc(day, m, TZ), TZ) for m in EVENING]
    return {
        "today": today,
        "day": day,
        "starts": starts,
        "allowed": allowed,
        "facilities": info,
        "week_start": timeutil.week_start(day),
    }


def rush_requests(workers, p) -> list:
    """Pass 1: each worker once, spread over its enterprise's facilities and both slots;
    pass 2: each worker again, another facility and the other slot. wrk cycles the list."""
    rows = []
    for pass_ in (0, 1):
        for k, w in enumerate(workers):
            allowed = p["allowed"][w["enterprise_id"]]
            fac = allowed[(k + pass_) % len(allowed)]
            start = p["starts"][((k // len(allowed)) + pass_) % 2]
            rows.append(("POST", "/api/v1/reservations", w["token"], {"facility_id": fac, "start": start}))
    return rows


def availability_requests(workers, p) -> list:
    rows = []
    for k, w in enumerate(workers):
        allowed = p["allowed"][w["enterprise_id"]]
        day = p["today"] + timedelta(days=1 + k % 6)
        rows.append(
            ("GET", f"/api/v1/facilities/{allowed[k % len(allowed)]}/availability?date={day}", w["token"], None)
        )
    return rows


def baseline_requests(workers, rows) -> list:
    """The same (facility, slot, worker) mix as a rush's requests, for the bare guarded insert."""
    return [
        (
            "POST",
            "/book",
            None,
            {
                "facility_id": body["facility_id"],
                "start": body["start"],
                "user_id": workers[i % len(workers)]["user_id"],
            },
        )
        for i, (_, _, _, body) in enumerate(rows)
    ]


def hello_requests(workers, p) -> list:
    """The availability read's requests, for the bare hello-world of the same shape."""
    return availability_requests(workers, p)


def add_rush_host(app, workers, p) -> list:
    """The success rush: a bench host with RUSH_FACILITIES courts (capacity 1, open 08:00-22:00,
    no approval) shared with the whole federation without limits, and one request per free
    (court, slot) of the bookable days, in blocks of 100 courts (one block a round), each in slot
    order; request i of block b is worker (i + 100 b) mod 2,000's, so a worker's next request in
    a block is 20 slots later, and block b puts each worker b slots off block 0's grid (never an
    overlap for up to 20 rounds; checked). Every answer is a 201 until the list runs out."""
    from sqlalchemy import select

    from booking import timeutil
    from booking.database import begin_write
    from booking.extensions import db
    from booking.facilities import rules
    from booking.facilities.models import Facility, OpeningHours, Venue
    from booking.facilities.services import slot_rules
    from booking.organizations.models import Organization
    from booking.quotas.models import SharingAgreement

    now = timeutil.utcnow()
    with app.app_context():
        begin_write()
        fed = db.session.scalar(select(Organization).where(Organization.kind == "federation"))
        host = Organization(name="抢订测试中心 (bench)", kind="community_centre", parent_id=fed.id, headcount=0)
        db.session.add(host)
        db.session.flush()
        venue = Venue(host_id=host.id, name="抢订测试场馆 (bench)", address="-", timezone=TZ)
        db.session.add(venue)
        db.session.flush()
        facs = [
            Facility(
                venue_id=venue.id,
                name=f"抢订场地 {i + 1}",
                kind="badminton",
                capacity=1,
                hours=[OpeningHours(weekday=d, opens_minute=8 * 60, closes_minute=22 * 60) for d in range(7)],
            )
            for i in range(RUSH_FACILITIES)
        ]
        db.session.add_all(facs)
        db.session.add(SharingAgreement(host_id=host.id, group_id=fed.id, all_facilities=True, valid_from=p["today"]))
        db.session.commit()
        ids = [f.id for f in facs]
        sr = slot_rules(facs[0])
        starts = []
        for offset in range(1, 8):
            day = p["today"] + timedelta(days=offset)
            for minute in range(8 * 60, 22 * 60, 60):
                start = timeutil.local_to_utc(day, minute, TZ)
                if rules.slot_at(sr, start) is not None and not rules.window_problem(sr, start, now):
                    starts.append(timeutil.isoformat_local(start, TZ))
        db.session.remove()
        db.engine.dispose()
    rows = []
    for b in range(len(ids) // 100):  # one block a round, on 100 courts of its own
        courts = ids[b * 100 : (b + 1) * 100]
        for i in range(len(starts) * len(courts)):
            body = {"facility_id": courts[i % len(courts)], "start": starts[i // len(courts)]}
            rows.append(("POST", "/api/v1/reservations", workers[(i + 100 * b) % len(workers)]["token"], body))
    booked = {(token, body["start"]) for _m, _p, token, body in rows}
    if len(booked) != len(rows):
        raise RunRefused("the success rush would book a worker twice into one slot: more workers, fewer rounds")
    return rows


# --- integrity ----------------------------------------------------------------------------

HOLDING = "('pending','confirmed','checked_in')"
CONSUMING = "('pending','confirmed','checked_in','no_show')"


def integrity(app) -> tuple[bool, list[str], dict]:
    """Capacity, counters and quotas, checked in SQL over every reservation in the database."""
    from sqlalchemy import text

    from booking.extensions import db
    from booking.quotas.services import agreement_for

    problems = []
    stats = {}
    held = (
        f"SELECT facility_id, start_at, SUM(places) AS p FROM reservations "
        f"WHERE status IN {HOLDING} GROUP BY facility_id, start_at"
    )
    with app.app_context():
        q = lambda sql, **kw: db.session.execute(text(sql), kw).all()  # noqa: E731
        over = q(
            f"SELECT a.facility_id, a.start_at, a.p, f.capacity FROM ({held}) a "
            f"JOIN facilities f ON f.id = a.facility_id WHERE a.p > f.capacity"
        )
        problems += [f"over capacity: facility {r[0]} slot {r[1]}: {r[2]} held > capacity {r[3]}" for r in over]
        mism = q(
            f"SELECT s.facility_id, s.start_at, s.held, COALESCE(a.p, 0) FROM slot_loads s "
            f"LEFT JOIN ({held}) a ON a.facility_id = s.facility_id AND a.start_at = s.start_at "
            f"WHERE s.held <> COALESCE(a.p, 0)"
        )
        mism += q(
            f"SELECT a.facility_id, a.start_at, 0, a.p FROM ({held}) a LEFT JOIN slot_loads s "
            f"ON a.facility_id = s.facility_id AND a.start_at = s.start_at WHERE s.id IS NULL"
        )
        problems += [
            f"slot_loads mismatch: facility {r[0]} slot {r[1]}: counter {r[2]}, bookings hold {r[3]}" for r in mism
        ]
        stats["slots_checked"] = q(f"SELECT COUNT(*) FROM ({held}) a")[0][0]

        # Quotas: minutes per enterprise+host+week and bookings per worker+host+week, against
        # the agreement in force (resolved by the app's own rule: its own agreement wins).
        limits = {}

        def agreement(ent, host, fac, week):
            key = (ent, host, week)
            if key not in limits:
                a = agreement_for(ent, host, fac, week)
                limits[key] = None if a is None else (a.minutes_per_week, a.bookings_per_worker)
            return limits[key]

        ent_rows = q(
            f"SELECT enterprise_id, host_id, week_start, SUM(quota_minutes), MIN(facility_id) "
            f"FROM reservations WHERE status IN {CONSUMING} GROUP BY enterprise_id, host_id, week_start"
        )
        for ent, host, week, minutes, fac in ent_rows:
            week = week if not isinstance(week, str) else datetime.strptime(week, "%Y-%m-%d").date()
            a = agreement(ent, host, fac, week)
            if a is None:
                problems.append(f"no agreement in force: enterprise {ent} host {host} week {week}")
            elif a[0] is not None and minutes > a[0]:
                problems.append(f"quota exceeded: enterprise {ent} host {host} week {week}: {minutes} min > {a[0]} min")
        stats["quota_weeks_checked"] = len(ent_rows)
        worker_rows = q(
            f"SELECT r.user_id, r.enterprise_id, r.host_id, r.week_start, COUNT(*), MIN(r.facility_id) "
            f"FROM reservations r WHERE r.status IN {CONSUMING} "
            f"GROUP BY r.user_id, r.enterprise_id, r.host_id, r.week_start"
        )
        for user, ent, host, week, n, fac in worker_rows:
            week = week if not isinstance(week, str) else datetime.strptime(week, "%Y-%m-%d").date()
            a = agreement(ent, host, fac, week)
            if a is not None and a[1] is not None and n > a[1]:
                problems.append(f"worker limit exceeded: user {user} host {host} week {week}: {n} > {a[1]}")
        stats["worker_weeks_checked"] = len(worker_rows)
        # Counters equal what they count (enterprise minutes, worker bookings).
        for table, key, value, agg in (
            ("enterprise_week_usage", "enterprise_id", "minutes_used", "SUM(quota_minutes)"),
            ("worker_week_usage", "user_id", "bookings", "COUNT(*)"),
        ):
            sums = (
                f"SELECT host_id, {key} AS k, week_start, {agg} AS v FROM reservations "
                f"WHERE status IN {CONSUMING} GROUP BY host_id, {key}, week_start"
            )
            bad = q(
                f"SELECT u.host_id, u.{key}, u.week_start, u.{value}, COALESCE(a.v, 0) FROM {table} u "
                f"LEFT JOIN ({sums}) a ON a.host_id = u.host_id AND a.k = u.{key} "
                f"AND a.week_start = u.week_start WHERE u.{value} <> COALESCE(a.v, 0)"
            )
            bad += q(
                f"SELECT a.host_id, a.k, a.week_start, 0, a.v FROM ({sums}) a LEFT JOIN {table} u "
                f"ON a.host_id = u.host_id AND a.k = u.{key} AND a.week_start = u.week_start "
                f"WHERE u.id IS NULL"
            )
            problems += [
                f"{table} mismatch: host {r[0]} {key} {r[1]} week {r[2]}: counter {r[3]}, bookings {r[4]}" for r in bad
            ]
        stats["reservations"] = q("SELECT COUNT(*) FROM reservations")[0][0]
        db.session.remove()
        db.engine.dispose()
    return not problems, problems, stats


def rush_outcome(app, p) -> dict:
    from sqlalchemy import text

    from booking import timeutil
    from booking.extensions import db

    start, end = timeutil.local_day_bounds(p["day"], TZ)
    fac_ids = ",".join(str(i) for i in p["facilities"])
    with app.app_context():
        rows = db.session.execute(
            text(
                f"SELECT status, COUNT(*), SUM(places) FROM reservations WHERE facility_id IN ({fac_ids}) "
                f"AND start_at >= :s AND start_at < :e GROUP BY status"
            ),
            {"s": _db_time(db, start), "e": _db_time(db, end)},
        ).all()
        db.session.remove()
        db.engine.dispose()
    offered = sum(f["capacity"] for f in p["facilities"].values()) * len(EVENING)
    return {"by_status": {r[0]: r[1] for r in rows}, "places_taken": sum(r[2] for r in rows), "places_offered": offered}


def _db_time(db, instant):
    """An aware UTC instant as the column stores it (SQLite: naive UTC text)."""
    if db.engine.dialect.name == "sqlite":
        return instant.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return instant


def reset_rush(app, p) -> None:
    """Delete the rush's bookings and counters, so a second rush races for the same empty slots."""
    from sqlalchemy import delete

    from booking import timeutil
    from booking.database import begin_write
    from booking.extensions import db
    from booking.quotas.models import EnterpriseWeekUsage, WorkerWeekUsage
    from booking.reservations.models import Notification, Reservation, SlotLoad

    start, end = timeutil.local_day_bounds(p["day"], TZ)
    facs = list(p["facilities"])
    hosts = {f["host_id"] for f in p["facilities"].values()}
    with app.app_context():
        begin_write()
        rush = Reservation.__table__.c
        ids = [
            r[0]
            for r in db.session.execute(
                Reservation.__table__.select()
                .with_only_columns(rush.id)
                .where(rush.facility_id.in_(facs), rush.start_at >= start, rush.start_at < end)
            )
        ]
        for i in range(0, len(ids), 500):
            db.session.execute(delete(Notification).where(Notification.reservation_id.in_(ids[i : i + 500])))
            db.session.execute(delete(Reservation).where(Reservation.id.in_(ids[i : i + 500])))
        db.session.execute(
            delete(SlotLoad).where(SlotLoad.facility_id.in_(facs), SlotLoad.start_at >= start, SlotLoad.start_at < end)
        )
        for model in (EnterpriseWeekUsage, WorkerWeekUsage):
            db.session.execute(delete(model).where(model.host_id.in_(hosts), model.week_start == p["week_start"]))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


# --- scale: ~1 M historical reservations --------------------------------------------------


def add_history(app, workers, p, rows: int) -> dict:
    """A host with 100 facilities (open 08:00-22:00, capacity 1) shared with every enterprise
    of the district, and `rows` past reservations there, one per slot going back day by day
    (~2 years for 1 M), spread over the 2,000 workers (~500 each): 80% checked in, 10%
    no-show, 10% cancelled. Counters (slot_loads, weekly usage) are built from them in SQL."""
    from sqlalchemy import select, text

    from booking.database import begin_write
    from booking.extensions import db
    from booking.facilities.models import Facility, OpeningHours, Venue
    from booking.organizations.models import Organization
    from booking.quotas.models import SharingAgreement

    days = rows // (SCALE_FACILITIES * 14) + 2
    t0 = time.time()
    with app.app_context():
        begin_write()  # SQLite: BEGIN IMMEDIATE, waits for the server's last writers
        fed = db.session.scalar(select(Organization).where(Organization.kind == "federation"))
        host = Organization(name="规模测试中心 (bench)", kind="community_centre", parent_id=fed.id, headcount=0)
        db.session.add(host)
        db.session.flush()
        venue = Venue(host_id=host.id, name="规模测试场馆 (bench)", address="-", timezone=TZ)
        db.session.add(venue)
        db.session.flush()
        facs = [
            Facility(
                venue_id=venue.id,
                name=f"场地 {i + 1}",
                kind="badminton",
                capacity=1,
                hours=[OpeningHours(weekday=d, opens_minute=8 * 60, closes_minute=22 * 60) for d in range(7)],
            )
            for i in range(SCALE_FACILITIES)
        ]
        db.session.add_all(facs)
        db.session.add(
            SharingAgreement(
                host_id=host.id, group_id=fed.id, all_facilities=True, valid_from=p["today"] - timedelta(days=days + 14)
            )
        )
        db.session.flush()
        conn = db.session.connection()
        conn.execute(text("CREATE TABLE bench_w (rn INTEGER PRIMARY KEY, user_id INTEGER, enterprise_id INTEGER)"))
        conn.execute(text("CREATE TABLE bench_f (rn INTEGER PRIMARY KEY, facility_id INTEGER)"))
        conn.execute(
            text("INSERT INTO bench_w VALUES (:rn, :u, :e)"),
            [{"rn": i, "u": w["user_id"], "e": w["enterprise_id"]} for i, w in enumerate(workers)],
        )
        conn.execute(text("INSERT INTO bench_f VALUES (:rn, :f)"), [{"rn": i, "f": f.id} for i, f in enumerate(facs)])
        params = {
            "rows": rows,
            "nf": SCALE_FACILITIES,
            "nw": len(workers),
            "host": host.id,
            "today": p["today"].isoformat(),
        }
        cols = (
            "facility_id, host_id, user_id, enterprise_id, start_at, end_at, party_size, places, "
            "status, week_start, quota_minutes, code, created_at, updated_at"
        )
        status = "CASE WHEN g.i % 10 = 0 THEN 'cancelled' WHEN g.i % 10 = 1 THEN 'no_show' ELSE 'checked_in' END"
        # Slot (i / nf) % 14 of local day today - (1 + i / (nf*14)); a worker appears at most once
        # per slot (7919 is prime to 2,000), so nobody holds two places at the same time.
        if db.engine.dialect.name == "sqlite":
            ts = "datetime(d.lday, '+' || d.slot || ' hours') || '.000000'"  # local 08:00 = 00:00 UTC
            te = "datetime(d.lday, '+' || (d.slot + 1) || ' hours') || '.000000'"
            sql = f"""
                INSERT INTO reservations ({cols})
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :rows - 1),
                g AS (SELECT i, i % :nf AS fr, (i / :nf) % 14 AS slot, 1 + i / (:nf * 14) AS back,
                             (i * 7919) % :nw AS wr FROM n),
                d AS (SELECT g.*, date(:today, '-' || back || ' days') AS lday FROM g)
                SELECT f.facility_id, :host, w.user_id, w.enterprise_id, {ts}, {te}, 1, 1,
                       {status.replace("g.i", "d.i")}, date(d.lday, '-6 days', 'weekday 1'), 60,
                       'H' || printf('%09d', d.i), {ts}, {ts}
                FROM d JOIN bench_f f ON f.rn = d.fr JOIN bench_w w ON w.rn = d.wr"""
        else:
            sql = f"""
                INSERT INTO reservations ({cols})
                SELECT f.facility_id, :host, w.user_id, w.enterprise_id,
                       (d.lday + make_interval(hours => 8 + d.slot)) AT TIME ZONE 'Asia/Shanghai',
                       (d.lday + make_interval(hours => 9 + d.slot)) AT TIME ZONE 'Asia/Shanghai', 1, 1,
                       {status}, d.lday - (extract(isodow from d.lday)::int - 1), 60,
                       'H' || lpad(g.i::text, 9, '0'),
                       (d.lday + make_interval(hours => 8 + d.slot)) AT TIME ZONE 'Asia/Shanghai',
                       (d.lday + make_interval(hours => 8 + d.slot)) AT TIME ZONE 'Asia/Shanghai'
                FROM (SELECT i, i % :nf AS fr, (i / :nf) % 14 AS slot, 1 + i / (:nf * 14) AS back,
                             (i::bigint * 7919) % :nw AS wr FROM generate_series(0, :rows - 1) AS i) g
                CROSS JOIN LATERAL (SELECT g.slot, CAST(:today AS date) - g.back AS lday) d
                JOIN bench_f f ON f.rn = g.fr JOIN bench_w w ON w.rn = g.wr"""
        conn.execute(text(sql), params)
        conn.execute(
            text(
                f"INSERT INTO slot_loads (facility_id, start_at, held) SELECT facility_id, start_at, "
                f"SUM(places) FROM reservations WHERE host_id = :host AND status IN {HOLDING} "
                f"GROUP BY facility_id, start_at"
            ),
            {"host": host.id},
        )
        conn.execute(
            text(
                f"INSERT INTO enterprise_week_usage (host_id, enterprise_id, week_start, minutes_used) "
                f"SELECT host_id, enterprise_id, week_start, SUM(quota_minutes) FROM reservations "
                f"WHERE host_id = :host AND status IN {CONSUMING} GROUP BY host_id, enterprise_id, week_start"
            ),
            {"host": host.id},
        )
        conn.execute(
            text(
                f"INSERT INTO worker_week_usage (host_id, user_id, week_start, bookings) "
                f"SELECT host_id, user_id, week_start, COUNT(*) FROM reservations "
                f"WHERE host_id = :host AND status IN {CONSUMING} GROUP BY host_id, user_id, week_start"
            ),
            {"host": host.id},
        )
        conn.execute(text("DROP TABLE bench_w"))
        conn.execute(text("DROP TABLE bench_f"))
        db.session.commit()
        total = db.session.scalar(text("SELECT COUNT(*) FROM reservations"))
        db.session.remove()
        db.engine.dispose()
    return {"inserted": rows, "reservations_total": total, "seconds": round(time.time() - t0, 1), "days_back": days}


# --- report -------------------------------------------------------------------------------


def machine(db_kind: str, pg_version: str | None) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")), "?")
    mem = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    gunicorn_v = subprocess.run([str(BIN / "gunicorn"), "--version"], capture_output=True, text=True).stdout.strip()
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": os.environ.get("BENCH_CODE_LABEL")
        or (head.stdout.strip() or "?") + (" + uncommitted changes" if dirty else ""),
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gib": round(int(mem.split()[1]) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "database": db_kind,
        "gunicorn": gunicorn_v,
        "gunicorn_workers": GUNICORN_WORKERS,
        "access_log": ACCESS_LOG,
        "wrk": (wrk_v.stdout + wrk_v.stderr).splitlines()[0].split(" [")[0],
        "wrk_threads": WRK_THREADS,
        "connections": CONNECTIONS,
        "duration_s": DURATION,
    }


def fmt_counts(r: dict) -> str:
    parts = [f"{k}: {v}" for k, v in r["statuses"].items()]
    if r["socket_errors"]:
        parts.append("socket errors " + ", ".join(f"{k} {v}" for k, v in r["socket_errors"].items()))
    return ", ".join(parts)


def report(results: dict) -> str:
    m = results["machine"]
    runs = results["runs"]
    ratio_of = {
        "hello": None,
        "healthz": "hello",
        "availability": "hello",
        "baseline": None,
        "success": "baseline",
        "booking": "baseline",
        "availability_1m": "availability",
        "booking_1m": "booking",
    }
    titles = {
        "hello": "(h) bare Flask hello-world, availability's shape",
        "healthz": "(a) GET /healthz — the app's hooks only",
        "availability": "(c) availability read",
        "baseline": "(b) bare guarded insert (baseline app)",
        "success": "(e) success rush: every request a new free slot",
        "booking": "(d) booking rush, 2,000 workers (mostly refusals)",
        "availability_1m": f"(c') availability read, after +{SCALE_ROWS:,} rows",
        "booking_1m": f"(d') booking rush, after +{SCALE_ROWS:,} rows",
    }
    lines = [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM; Python {m['python']}, "
        f"SQLite {m['sqlite']}"
        + (f", PostgreSQL {m['postgresql']}" if m["postgresql"] else "")
        + f"; {m['gunicorn']}, {m['gunicorn_workers']} sync workers, access log: {m['access_log']}; "
        f"{m['wrk']}, {m['wrk_threads']} thread, "
        f"{m['connections']} connections, {m['duration_s']} s per run. Database: {m['database']}. "
        f"Code: {m['commit']}. {m['date']}.",
        "",
        "| run | req/s | ratio | p50 ms | p99 ms | responses | server CPU ms/req "
        "| CPU busy: server / db / wrk / others |",
        "|---|---:|---|---:|---:|---|---:|---|",
    ]
    for key, title in titles.items():
        r = runs.get(key)
        if not r:
            continue
        base = ratio_of[key]
        value = (
            (rate(r) / rate(runs[base]) if key == "success" else r["rps"] / runs[base]["rps"])
            if base and base in runs
            else None
        )
        ratio = f"{value:.2f} of {base}" if value is not None else "—"
        wrk_pct = r["wrk_cpu_pct"] / m["nproc"]
        other_pct = 100 * r["other_cpu_cores"] / m["nproc"]
        lines.append(
            f"| {title} | {r['rps']:.0f} | {ratio} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {fmt_counts(r)} | {r['server_cpu_ms_per_req']:.2f}"
            + (f" + db {r['db_cpu_ms_per_req']:.2f}" if DB_PIDS else "")
            + " | "
            f"{r['server_cpu_pct']:.0f}% / {r['db_cpu_pct']:.0f}% / {wrk_pct:.0f}% / {other_pct:.0f}% |"
        )
    noisy = [k for k, r in runs.items() if r["other_cpu_cores"] > 0.15]
    lines.append("")
    lines.append(
        "ratio: answers per second against the run named (for the rushes against the bare insert: "
        "201s per second). server CPU ms/req: CPU time of gunicorn's processes (+ PostgreSQL's) per "
        f"answer. CPU busy: share of the machine's {m['nproc']} cores used during the run by the "
        "server, the database, wrk, and other processes (noise when above a few %)."
    )
    if results.get("rounds"):
        each = "; ".join(f"{k} {', '.join(f'{v:,}' for v in vs)}" for k, vs in results["rounds"].items())
        lines.append(
            f"Rounds: each goal's runs alternated {len(next(iter(results['rounds'].values())))} times; a row "
            f"is the median round. req/s of every round: {each}."
        )
    if noisy:
        lines.append(
            f"WARNING: other processes used CPU during {', '.join(noisy)}: those figures are "
            f"disturbed; run again on a quiet machine."
        )
    lines.append("")
    for key in ("availability", "success", "booking", "booking_1m"):
        w = runs.get(key, {}).get("pg_waits")
        if w:
            share = ", ".join(f"{k} {v:.0%}" for k, v in list(w["share"].items())[:6])
            locks = ", ".join(f"{k} {v}" for k, v in list(w["ungranted_locks_avg"].items())[:4]) or "none"
            lines.append(
                f"{titles[key]}: PostgreSQL connections busy on average {w['busy_connections_avg']} "
                f"({w['samples']} samples): {share}; ungranted locks on average: {locks}."
            )
    lines.append("")
    for key in ("booking", "booking_1m"):
        if key in runs:
            codes = ", ".join(f"{k} {v}" for k, v in runs[key]["codes"].items())
            o = results.get("rush_" + key, {})
            lines.append(
                f"{titles[key]}: error codes {codes or '-'}; in the database: "
                f"{o.get('by_status')}, {o.get('places_taken')} of {o.get('places_offered')} "
                f"places taken."
            )
    lines.append("")
    for goal in results["goals"]:
        lines.append(
            f"- goal {goal['name']}: {goal['value']} vs {goal['target']} → {'MET' if goal['met'] else 'MISSED'}"
        )
    for name, check in results["integrity"].items():
        lines.append(
            f"- integrity {name}: {'PASS' if check['ok'] else 'FAIL'} ({check['stats']})"
            + ("".join(f"\n    {p}" for p in check["problems"][:20]))
        )
    if "scale" in results:
        s = results["scale"]
        lines.append(
            f"- scale: {s['inserted']:,} historical reservations inserted in {s['seconds']} s "
            f"({s['reservations_total']:,} in the table)"
        )
    lines.append(f"- setup: {results['setup']}")
    return "\n".join(lines)


def rate(r: dict) -> float:
    """Answers per second; for a booking run, bookings made (201s) per second."""
    return r["statuses"].get("201", 0) / r["seconds"] if "201" in r["statuses"] else r["rps"]


def goals(runs: dict) -> list[dict]:
    out = []
    if "success" in runs and "baseline" in runs:
        v = rate(runs["success"]) / rate(runs["baseline"])
        out.append(
            {
                "name": "successful bookings ≥ 50% of bare insert",
                "value": f"{v:.0%}",
                "target": f"{GOAL_BOOKING_RATIO:.0%}",
                "met": v >= GOAL_BOOKING_RATIO,
            }
        )
    if "booking" in runs:
        p99 = max(runs[k]["p99_ms"] for k in ("booking", "success") if k in runs)
        out.append(
            {
                "name": "booking p99 < 250 ms (both rushes)",
                "value": f"{p99:.0f} ms",
                "target": "250 ms",
                "met": p99 < GOAL_BOOKING_P99_MS,
            }
        )
    if "availability" in runs and "hello" in runs:
        v = runs["availability"]["rps"] / runs["hello"]["rps"]
        out.append(
            {
                "name": "availability ≥ 40% of bare Flask hello-world",
                "value": f"{v:.0%}",
                "target": f"{GOAL_AVAILABILITY_RATIO:.0%}",
                "met": v >= GOAL_AVAILABILITY_RATIO,
            }
        )
    return out


# --- main ---------------------------------------------------------------------------------


def main() -> int:
    if DB_KIND not in ("sqlite", "postgresql"):
        sys.exit("BENCH_DB is sqlite or postgresql")
    access_log_flags(Path("-"))  # an unknown BENCH_ACCESS_LOG stops here
    ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="booking-bench-"))
    servers, pg = [], None
    results = {"runs": {}, "integrity": {}}
    failed = False
    t_start = time.time()
    try:
        pg_version = None
        if DB_KIND == "postgresql":
            from tests.tools.pgserver import PostgresServer

            log("starting a throwaway PostgreSQL server")
            pg = PostgresServer().start()
            url, base_url = pg.create_database("bench_app"), pg.create_database("bench_baseline")
            pg_version = subprocess.run(
                [os.path.join(pg.bindir, "postgres"), "--version"], capture_output=True, text=True
            ).stdout.split()[2]
            DB_PIDS.append(int(Path(pg.dir, "data", "postmaster.pid").read_text().split()[0]))
        else:
            url, base_url = f"sqlite:///{tmp}/booking.sqlite3", f"sqlite:///{tmp}/baseline.sqlite3"
        results["machine"] = machine(DB_KIND, pg_version)
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32), PYTHONPATH=str(ROOT))
        env.pop("BENCH_BASELINE_URL", None)

        t0 = time.time()
        log(f"database: {url}; migrating and seeding {SEED_WORKERS} workers")
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "seed-demo", "--workers", str(SEED_WORKERS))
        os.environ["SECRET_KEY"] = env["SECRET_KEY"]
        app = make_app(url)
        workers = create_tokens(app)
        p = plan(app, workers)
        results["setup"] = (
            f"{len(workers)} workers with tokens; rush day {p['day']} "
            f"(today {p['today']}, {TZ}), slots {', '.join(s[11:16] for s in p['starts'])}; "
            f"{len(p['facilities'])} facilities; {time.time() - t0:.1f} s"
        )
        log(results["setup"])

        success_rows = add_rush_host(app, workers, p)
        log(f"success rush: {len(success_rows)} free (court, slot) places on a bench host")
        files = {
            "healthz": write_requests(tmp / "healthz.tsv", [("GET", "/healthz", None, None)]),
            "hello": write_requests(tmp / "hello.tsv", hello_requests(workers, p)),
            "availability": write_requests(tmp / "availability.tsv", availability_requests(workers, p)),
            "booking": write_requests(tmp / "booking.tsv", rush_requests(workers, p)),
            "baseline": write_requests(tmp / "baseline.tsv", baseline_requests(workers, success_rows)),
        }
        share = len(success_rows) // ROUNDS  # each success round on free slots of its own
        for r in range(ROUNDS):
            files[f"success_{r}"] = write_requests(tmp / f"success_{r}.tsv", success_rows[r * share : (r + 1) * share])
        rounds: dict[str, list[dict]] = {}

        def run(name: str, server: Gunicorn, file_key: str, ceiling: bool = False) -> None:
            busy = wait_quiet(WAIT_QUIET) if WAIT_QUIET else None
            log(
                f"wrk {name}: {DURATION} s, {CONNECTIONS} connections"
                + (f" (others' CPU before: {busy} cores)" if busy is not None else "")
            )
            r = wrk(server, files[file_key], DURATION, sample=server is app_server)
            rounds.setdefault(name, []).append(r)
            results["runs"][name] = median_round(rounds[name])
            log(
                f"  {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {fmt_counts(r)}; "
                f"CPU: server {r['server_cpu_pct']}%, db {r['db_cpu_pct']}%, machine {r['machine_cpu_pct']}%"
            )
            if "pg_waits" in r:
                log(f"  PostgreSQL: {r['pg_waits']}")
            refuse_unusable(name, r, ceiling)

        def check(name: str) -> None:
            nonlocal failed
            log(f"integrity check ({name})")
            ok, problems, stats = integrity(app)
            results["integrity"][name] = {"ok": ok, "problems": problems, "stats": stats}
            log(f"  integrity {name}: {'PASS' if ok else 'FAIL'} {stats}")
            for problem in problems[:20]:
                log("    " + problem)
            failed |= not ok

        # The bare app (hello-world of the same shape, the bare guarded insert), its own
        # database, and the app: both served as `make run` serves, both up, runs interleaved
        # so that each ratio compares runs a few seconds apart.
        subprocess.run([sys.executable, "-m", "tests.bench.baseline_app", base_url], cwd=ROOT, check=True)
        base_env = dict(env, BENCH_BASELINE_URL=base_url)
        baseline = Gunicorn("tests.bench.baseline_app:app", base_env, tmp, "baseline")
        servers.append(baseline)
        server = app_server = Gunicorn("wsgi:app", env, tmp, "app")
        servers.append(server)
        SAMPLE_URL[:] = [url] if DB_KIND == "postgresql" else []
        wrk(baseline, files["hello"], 2)  # warm-up
        wrk(server, files["healthz"], 2)  # warm-up (every worker imports lazily-loaded code)
        wrk(server, files["availability"], 2)
        for _ in range(ROUNDS):
            run("hello", baseline, "hello", ceiling=True)
            run("healthz", server, "healthz", ceiling=True)
            run("availability", server, "availability")
        for r in range(ROUNDS):
            run("baseline", baseline, "baseline", ceiling=True)
            run("success", server, f"success_{r}")
        run("booking", server, "booking")
        results["rounds"] = {name: [round(x["rps"]) for x in seen] for name, seen in rounds.items() if len(seen) > 1}
        baseline.stop()
        for ceiling in ("hello", "healthz"):  # a ceiling below what it bounds is a broken run
            if results["runs"][ceiling]["rps"] < results["runs"]["availability"]["rps"]:
                raise RunRefused(
                    f"run {ceiling} ({results['runs'][ceiling]['rps']:.0f}/s) is slower than the "
                    f"availability read it bounds ({results['runs']['availability']['rps']:.0f}/s)"
                )
        results["rush_booking"] = rush_outcome(app, p)
        check("after rush")

        if SCALE_ROWS > 0:
            log(f"scale: inserting {SCALE_ROWS:,} historical reservations")
            results["scale"] = add_history(app, workers, p, SCALE_ROWS)
            log(f"  {results['scale']}")
            reset_rush(app, p)
            run("availability_1m", server, "availability")
            run("booking_1m", server, "booking")
            results["rush_booking_1m"] = rush_outcome(app, p)
            check(f"after rush on {results['scale']['reservations_total']:,} reservations")
        server.stop()

        fivexx = {
            name: sum(v for k, v in r["statuses"].items() if k.startswith("5")) for name, r in results["runs"].items()
        }
        results["five_xx"] = fivexx
        if any(fivexx.values()):
            failed = True
            log(f"5xx answers (a bug): {fivexx}; see {tmp}/app-gunicorn.log")
        results["goals"] = goals(results["runs"])
        results["total_seconds"] = round(time.time() - t_start, 1)
        text_report = report(results)
        OUT.mkdir(exist_ok=True)
        (OUT / "report.md").write_text(text_report + "\n")
        (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
        print("\n" + text_report + "\n", flush=True)
        log(f"done in {results['total_seconds']} s; {OUT / 'report.md'}, {OUT / 'results.json'}")
        if failed:
            log("FAIL (integrity problem or 5xx answers)")
        return 1 if failed else 0
    except RunRefused as err:
        failed = True
        log(f"REFUSED: {err}")
        log("no figures reported: a run that failed measures the failure, not the code")
        return 2
    finally:
        for s in servers:
            s.stop()
        if pg is not None:
            pg.stop()
        if KEEP or failed:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
