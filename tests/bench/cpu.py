"""CPU time per request, in-process: robust to a machine shared with others (wall-clock is not).

    .venv/bin/python -m tests.bench.cpu [N]     # N requests of each kind (default 2000)

Same set-up as `make bench` (fresh SQLite files, or with BENCH_DB=postgresql two databases on a
throwaway PostgreSQL server; 2,000 workers with tokens, the success rush's bench host), then
each kind of request through Flask's test client (no HTTP server, no gunicorn), each after a
warm-up of 200, in CPU_ROUNDS rounds (default 3; the least counts): the bare hello-world and
the bare guarded insert of tests/bench/baseline_app.py, the app's /healthz, availability read
and success rush. Prints
CPU ms per request (time.process_time; on PostgreSQL also its server's CPU per request, from
/proc) and the ratios the bench's goals use (req/s ratios are the inverse ratios of CPU per
request when both runs are CPU-bound; on PostgreSQL, of the app's and the server's together).
"""

import cProfile
import os
import pstats
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench import run as bench

STATEMENTS = [0]  # SQL statements run by the app (not the bare app): robust to others' load
DB_CPU_MS = [0.0]  # the database server's CPU ms per request of the last measure() (PostgreSQL)


def measure(client, rows, warm: int = 200, profile_rows=None) -> tuple[float, dict]:
    def call(row):
        method, target, token, body = row
        headers = {"Accept-Language": "en"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return client.open(target, method=method, headers=headers, json=body).status_code

    for row in rows[:warm]:
        call(row)
    statuses: dict = {}
    rows = rows[warm:]
    STATEMENTS[0] = 0
    db0 = sum(bench.tree_cpu_seconds(p) for p in bench.DB_PIDS)
    t0 = time.process_time()
    for row in rows:
        s = call(row)
        statuses[s] = statuses.get(s, 0) + 1
    ms = (time.process_time() - t0) * 1000 / len(rows)
    DB_CPU_MS[0] = (sum(bench.tree_cpu_seconds(p) for p in bench.DB_PIDS) - db0) * 1000 / len(rows)
    statuses["SQL/request"] = round(STATEMENTS[0] / len(rows), 2)
    if profile_rows:
        prof = cProfile.Profile()
        prof.enable()
        for row in profile_rows:
            call(row)
        prof.disable()
        stats = pstats.Stats(prof)
        if os.environ.get("CPU_PROFILE_OUT"):
            stats.dump_stats(os.environ["CPU_PROFILE_OUT"])
        stats.sort_stats("cumulative").print_stats(70)
        stats.sort_stats("tottime").print_stats(30)
    return ms, statuses


def databases(tmp: Path) -> tuple[str, str]:
    """The app's and the bare app's database URLs: SQLite files under `tmp`, or with
    BENCH_DB=postgresql two databases on a throwaway server (stopped when this process exits)."""
    if os.environ.get("BENCH_DB", "sqlite") != "postgresql":
        return f"sqlite:///{tmp}/booking.sqlite3", f"sqlite:///{tmp}/baseline.sqlite3"
    import atexit

    from tests.tools.pgserver import PostgresServer

    pg = PostgresServer().start()
    atexit.register(pg.stop)
    bench.DB_PIDS.append(int(Path(pg.dir, "data", "postmaster.pid").read_text().split()[0]))
    urls = pg.create_database("cpu_app"), pg.create_database("cpu_baseline")
    (tmp / "urls").write_text("\n".join(urls))
    return urls


def setup(tmp: Path, n: int, seed_workers: int = bench.SEED_WORKERS) -> dict:
    """The bench's world in fresh databases (databases(), as `make bench` builds it), and the
    rows of each kind of request: n + 200 each (the rush kinds: more, a free slot each)."""
    url, base_url = databases(tmp)
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32), PYTHONPATH=str(bench.ROOT))
    bench.flask_cli(env, "db", "upgrade")
    bench.flask_cli(env, "seed-demo", "--workers", str(seed_workers))
    (tmp / "secret").write_text(env["SECRET_KEY"])
    os.environ["SECRET_KEY"] = env["SECRET_KEY"]
    app = bench.make_app(url)
    workers = bench.create_tokens(app)
    p = bench.plan(app, workers)
    success = bench.add_rush_host(app, workers, p)
    subprocess.run(
        [sys.executable, "-m", "tests.bench.baseline_app", base_url],
        cwd=bench.ROOT,
        check=True,
    )
    reads = bench.availability_requests(workers, p)
    return {
        "hello": bench.hello_requests(workers, p)[: n + 200],
        "healthz": [("GET", "/healthz", None, None)] * (n + 200),
        "availability": (reads * (1 + (n + 200) // len(reads)))[: n + 200],
        "baseline": bench.baseline_requests(workers, success),
        "success": success,
    }


def clients(tmp: Path):
    """Test clients of the app and of the bare app on setup()'s files, counting the app's SQL."""
    from sqlalchemy import event

    from booking.extensions import db
    from tests.bench.baseline_app import create_app as baseline_app

    os.environ["SECRET_KEY"] = (tmp / "secret").read_text()
    if (tmp / "urls").exists():
        url, base_url = (tmp / "urls").read_text().split("\n")
    else:
        url, base_url = f"sqlite:///{tmp}/booking.sqlite3", f"sqlite:///{tmp}/baseline.sqlite3"
    app = bench.make_app(url)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_args: STATEMENTS.__setitem__(0, STATEMENTS[0] + 1))
    return app.test_client(), baseline_app(base_url).test_client()


BARE = ("hello", "baseline")  # the kinds sent to the bare app


def ratios(cost: dict, what: str) -> str:
    """The bench goals' ratios from each kind's cost per request (req/s ratios are the inverse
    ratios of costs when both runs are CPU-bound)."""
    return (
        f"healthz / hello: {cost['hello'] / cost['healthz']:.2f}; "
        f"availability / hello: {cost['hello'] / cost['availability']:.2f} (goal >= 0.40); "
        f"success / bare insert: {cost['baseline'] / cost['success']:.2f} (goal >= 0.50; inverse ratios of {what})"
    )


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    profiled = os.environ.get("CPU_PROFILE", "")  # e.g. CPU_PROFILE=availability: cProfile that kind too
    tmp = Path(tempfile.mkdtemp(prefix="booking-cpu-"))
    try:
        rows_of = setup(tmp, n)
        client, base = clients(tmp)
        kinds = {name: (base if name in BARE else client, rows) for name, rows in rows_of.items()}
        results: dict = {}
        rounds = int(os.environ.get("CPU_ROUNDS", "3"))  # the least of each kind's rounds: others' load only adds
        for r in range(rounds):
            for name, (c, rows) in kinds.items():
                if name in ("baseline", "success"):  # each booking needs a free slot of its own
                    rows = rows[r * (n + 200) :]
                profile_rows = None
                if name == profiled and r == rounds - 1:
                    profile_rows = (
                        rows[n + 200 : 2 * n + 200] if name in ("baseline", "success") else rows[200 : n + 200]
                    )
                ms, statuses = measure(c, rows[: n + 200], profile_rows=profile_rows)
                if bench.DB_PIDS:
                    statuses["db CPU ms"] = round(DB_CPU_MS[0], 3)
                    ms += DB_CPU_MS[0]  # what the request cost the machine: the app's and the server's
                if name not in results or ms < results[name][0]:
                    results[name] = (ms, statuses)
        for name, (ms, statuses) in results.items():
            print(f"{name:>13}: {ms:.3f} CPU ms/request  {statuses}")
        print(ratios({name: ms for name, (ms, _) in results.items()}, "CPU time"))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
