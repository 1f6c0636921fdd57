"""Where the time goes: cProfile of the availability read and the booking rush, in-process.

    .venv/bin/python -m tests.bench.profile [N]     # N requests of each kind (default 400)

Same set-up as `make bench` (fresh SQLite file, 2,000 workers with tokens, the rush plan),
then N availability reads and N rush bookings through Flask's test client (no HTTP server,
no gunicorn), each under cProfile; prints the top functions by own time and by cumulative
time, and the mean time per request with and without the profiler.
"""

import cProfile
import io
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.bench import run as bench


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    tmp = Path(tempfile.mkdtemp(prefix="booking-profile-"))
    try:
        url = f"sqlite:///{tmp}/booking.sqlite3"
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32), PYTHONPATH=str(bench.ROOT))
        bench.flask_cli(env, "db", "upgrade")
        bench.flask_cli(env, "seed-demo", "--workers", str(bench.SEED_WORKERS))
        os.environ["SECRET_KEY"] = env["SECRET_KEY"]
        app = bench.make_app(url)
        workers = bench.create_tokens(app)
        p = bench.plan(app, workers)
        client = app.test_client()
        from sqlalchemy import event

        from booking.extensions import db

        with app.app_context():
            engine = db.engine
        statements = [0]
        lock = {"since": None, "held": []}  # SQLite write lock: BEGIN IMMEDIATE .. COMMIT/ROLLBACK

        @event.listens_for(engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_args):
            statements[0] += 1
            if statement.startswith("BEGIN IMMEDIATE"):
                lock["since"] = time.perf_counter()

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(_conn):
            if lock["since"] is not None:
                lock["held"].append(time.perf_counter() - lock["since"])
                lock["since"] = None

        def call(row):
            method, target, token, body = row
            headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
            resp = client.open(target, method=method, headers=headers, json=body)
            return resp.status_code

        scenarios = [
            ("availability read", bench.availability_requests(workers, p)),
            ("booking rush", bench.rush_requests(workers, p)),
        ]
        for name, rows in scenarios:
            rows = rows[:n]
            half = len(rows) // 2
            # un-profiled first half (timing), profiled second half
            t0 = time.perf_counter()
            lock["held"].clear()
            statuses = {}
            for row in rows[:half]:
                s = call(row)
                statuses[s] = statuses.get(s, 0) + 1
            plain_ms = (time.perf_counter() - t0) * 1000 / max(half, 1)
            held = sorted(lock["held"])
            lock_ms = (
                f", write lock held {1000 * sum(held) / len(held):.2f} ms/request (max {1000 * held[-1]:.1f})"
                if held
                else ""
            )
            statements[0] = 0
            prof = cProfile.Profile()
            prof.enable()
            for row in rows[half:]:
                s = call(row)
                statuses[s] = statuses.get(s, 0) + 1
            prof.disable()
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(45)
            print(
                f"\n===== {name}: {len(rows)} requests, statuses {statuses}, "
                f"{plain_ms:.2f} ms/request without profiler{lock_ms}, "
                f"{statements[0] / max(len(rows) - half, 1):.1f} SQL statements/request ====="
            )
            print(out.getvalue())
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
