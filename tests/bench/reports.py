"""The usage reports over 1,000,000 reservations: how long the monthly district report and a
host report take, on this machine, on an SQLite file.

    .venv/bin/python -m tests.bench.reports            # 1 M rows, 5 timed runs each
    REPORTS_ROWS=200000 REPORTS_RUNS=3 .venv/bin/python -m tests.bench.reports

Steps:
  1. a fresh SQLite file in a temp dir (under /tmp), `flask db upgrade` (the real schema and
     indexes, from the migrations);
  2. a district written by bulk insert: 4 hosts with 5 facilities each (courts, a gym for 30,
     a reading room for 40, a billiards room: 20 facilities, open 08:00-22:00), 300
     enterprises, 5,000 workers, and REPORTS_ROWS reservations over the 12 months up to this
     one: facility drawn by capacity, hour 08-21, status 62% checked in, 8% no-show, 12%
     cancelled, 3% rejected, 9% confirmed, 6% pending (random, seeded);
  3. timings, each the median of REPORTS_RUNS runs after one cold run, of
       a. services.district_report for last month (the whole district),
       b. GET /reports/district for last month (the page: queries, SVG chart, HTML),
       c. services.host_report for last month, the busiest host,
       d. GET /reports/host for the same (heatmaps of 5 facilities, enterprise chart),
       e. services.district_report for the 365 days up to the end of last month (for scale);
     and each report query's plan (EXPLAIN QUERY PLAN), to show it walks an index.

No ANALYZE is run: the plans are what a fresh production database gets.
"""

import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TZ = "Asia/Shanghai"
ROWS = int(os.environ.get("REPORTS_ROWS", "1000000"))
RUNS = int(os.environ.get("REPORTS_RUNS", "5"))
KEEP = os.environ.get("REPORTS_KEEP") == "1"
HOSTS, ENTERPRISES, WORKERS = 4, 300, 5000
# (name, kind, capacity) of each host's five facilities
FACILITIES = [
    ("羽毛球场 1 号", "badminton", 1),
    ("篮球场", "basketball", 1),
    ("健身房", "gym", 30),
    ("阅览室", "reading_room", 40),
    ("台球室", "billiards", 1),
]
STATUSES = [("checked_in", 62), ("no_show", 8), ("cancelled", 12), ("rejected", 3), ("confirmed", 9), ("pending", 6)]
PASSWORD = "bench-password"


def log(msg: str) -> None:
    print(f"[reports bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def make_app(url: str):
    from booking import create_app
    from tests.conftest import make_config

    return create_app(make_config(url, WTF_CSRF_ENABLED=False))


def sqlite_text(instant: datetime) -> str:
    """How the UTCDateTime column stores an instant on SQLite."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, today: date) -> dict:
    import flask_migrate
    from werkzeug.security import generate_password_hash

    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        from booking.extensions import db

        db.engine.dispose()
    rnd = random.Random(7)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now = sqlite_text(datetime.now(timezone.utc))
    org = lambda i, name, kind, parent: (i, name, kind, parent, 100, None, "enterprise", now)  # noqa: E731
    orgs = [org(1, "北仑区总工会 (bench)", "federation", None)]
    orgs += [org(10 + h, f"共享场馆 {h + 1} 号 (bench)", "community_centre", 1) for h in range(HOSTS)]
    orgs += [org(100 + e, f"宁波小微企业 {e + 1:03d} 有限公司 (bench)", "enterprise", 1) for e in range(ENTERPRISES)]
    con.executemany(
        "INSERT INTO organizations (id, name, kind, parent_id, headcount, invite_code, "
        "calendar_privacy, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        orgs,
    )
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    users = [(1, "district", "区总工会", None, hashed, "active", now)]
    users += [(10 + h, f"host{h + 1}", f"场馆管理员 {h + 1}", None, hashed, "active", now) for h in range(HOSTS)]
    users += [
        (1000 + w, f"bench{w}", f"职工 {w}", 100 + w % ENTERPRISES, hashed, "active", now) for w in range(WORKERS)
    ]
    con.executemany(
        "INSERT INTO users (id, username, display_name, enterprise_id, password_hash, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        users,
    )
    con.executemany(
        "INSERT INTO role_grants (user_id, role, organization_id) VALUES (?, ?, ?)",
        [(1, "district_admin", 1)] + [(10 + h, "host_admin", 10 + h) for h in range(HOSTS)],
    )
    facilities = []  # (id, host_id, capacity)
    for h in range(HOSTS):
        con.execute(
            "INSERT INTO venues (id, host_id, name, address, timezone, created_at) VALUES (?, ?, ?, '-', ?, ?)",
            (h + 1, 10 + h, f"场馆 {h + 1}", TZ, now),
        )
        for k, (name, kind, capacity) in enumerate(FACILITIES):
            fid = h * 10 + k + 1
            con.execute(
                "INSERT INTO facilities (id, venue_id, name, kind, capacity, slot_minutes, requires_approval, "
                "window_days, window_opens_minute, min_notice_minutes, cancel_cutoff_minutes, "
                "checkin_before_minutes, checkin_after_minutes, description, active, created_at) "
                "VALUES (?, ?, ?, ?, ?, 60, 0, 7, 480, 30, 120, 15, 15, '', 1, ?)",
                (fid, h + 1, name, kind, capacity, now),
            )
            con.executemany(
                "INSERT INTO opening_hours (facility_id, weekday, opens_minute, closes_minute) "
                "VALUES (?, ?, 480, 1320)",
                [(fid, d) for d in range(7)],
            )
            # Busier hosts first: host 1 draws most.
            facilities.append((fid, 10 + h, capacity * (HOSTS - h + 2)))
    con.commit()

    first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)  # 12 months up to this one
    days = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - first
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    fac_weights = [w for _, _, w in facilities]
    offset = timedelta(hours=8)  # Asia/Shanghai has no DST: local = UTC + 8
    t0 = time.time()
    batch = 100_000
    for chunk in range(0, ROWS, batch):
        n = min(batch, ROWS - chunk)
        picks = rnd.choices(facilities, weights=fac_weights, k=n)
        sts = rnd.choices(statuses, weights=weights, k=n)
        rows = []
        for i in range(n):
            fid, host_id, _ = picks[i]
            day = first + timedelta(days=rnd.randrange(days.days))
            start = datetime.combine(day, dtime(rnd.randrange(8, 22))) - offset
            worker = rnd.randrange(WORKERS)
            text_start = start.strftime("%Y-%m-%d %H:%M:%S.%f")
            rows.append(
                (
                    fid,
                    host_id,
                    1000 + worker,
                    100 + worker % ENTERPRISES,
                    text_start,
                    (start + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                    1,
                    1,
                    sts[i],
                    (day - timedelta(days=day.weekday())).isoformat(),
                    60,
                    f"B{chunk + i:010d}",
                    text_start,
                    text_start,
                )
            )
        con.executemany(
            "INSERT INTO reservations (facility_id, host_id, user_id, enterprise_id, start_at, end_at, "
            "party_size, places, status, week_start, quota_minutes, code, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = con.execute("SELECT COUNT(*) FROM reservations").fetchone()[0]
    con.close()
    return {
        "rows": total,
        "seconds": round(time.time() - t0, 1),
        "first_day": first.isoformat(),
        "size_mib": round(path.stat().st_size / 2**20),
    }


def timed(fn, runs: int) -> dict:
    cold = time.perf_counter()
    fn()
    cold = time.perf_counter() - cold
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {
        "cold_ms": round(cold * 1000),
        "median_ms": round(statistics.median(times) * 1000),
        "max_ms": round(max(times) * 1000),
    }


def plans(app, path: Path, run_reports) -> dict:
    """EXPLAIN QUERY PLAN of every reservations query the reports run (captured as they run)."""
    from sqlalchemy import event

    from booking.extensions import db

    seen = []
    with app.app_context():

        def capture(conn, cursor, statement, parameters, context, executemany):
            if "FROM reservations" in statement:
                seen.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            run_reports()
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
    con = sqlite3.connect(path)
    out = {}
    for statement, parameters in seen:
        name = " ".join(statement.split()[:4])[:60]
        out[name] = "; ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + statement, parameters))
    con.close()
    return out


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main() -> int:
    from booking import timeutil
    from booking.reports import services

    tmp = Path(tempfile.mkdtemp(prefix="reports-bench-", dir="/tmp"))
    path = tmp / "reports.sqlite3"
    today = timeutil.local_date(timeutil.utcnow(), TZ)
    try:
        log(f"building {ROWS:,} reservations in {path}")
        built = build(path, today)
        log(f"built: {built}")
        app = make_app(f"sqlite:///{path}")
        last_first, last_last = services.month_of(today.replace(day=1) - timedelta(days=1))
        period = services.Period(last_first, last_last, TZ)
        query = {"from": last_first.isoformat(), "to": last_last.isoformat()}
        results = {}
        with app.app_context():
            from booking.accounts.models import User
            from booking.extensions import db

            district = db.session.get(User, 1)
            report = services.district_report(district, period)
            busiest = report.hosts[0].host.id
            log(
                f"last month: {report.bookings:,} bookings counted, {len(report.hosts)} hosts, "
                f"{report.enterprises} enterprises, {report.workers:,} workers"
            )

            def district_service():
                services.district_report(district, period)
                db.session.rollback()

            def host_service():
                services.host_report(district, busiest, period)
                db.session.rollback()

            year = services.Period(last_last - timedelta(days=364), last_last, TZ)

            def district_year():
                services.district_report(district, year)
                db.session.rollback()

            results["district_service"] = timed(district_service, RUNS)
            results["district_year"] = timed(district_year, RUNS)
            results["host_service"] = timed(host_service, RUNS)
            db.session.remove()
        client = app.test_client()
        assert client.post("/login", data={"identifier": "district", "password": PASSWORD}).status_code == 302

        def page(path, **extra):
            def get():
                response = client.get(path, query_string={**query, **extra})
                assert response.status_code == 200, response.status_code

            return get

        results["district_page"] = timed(page("/reports/district"), RUNS)
        results["host_page"] = timed(page("/reports/host", host_id=busiest), RUNS)

        def both_reports():
            from booking.accounts.models import User
            from booking.extensions import db

            district = db.session.get(User, 1)
            services.district_report(district, period)
            services.host_report(district, busiest, period)
            db.session.remove()

        plan = plans(app, path, both_reports)
        with app.app_context():
            from booking.extensions import db

            db.engine.dispose()
        print()
        print(f"machine: {machine()}")
        print(
            f"data: {built['rows']:,} reservations from {built['first_day']} (12 months), "
            f"{HOSTS} hosts, {HOSTS * len(FACILITIES)} facilities, {ENTERPRISES} enterprises, {WORKERS:,} workers; "
            f"file {built['size_mib']} MiB; period {period.start} to {period.end}"
        )
        print(f"{'what':<42} {'cold ms':>8} {'median ms':>10} {'max ms':>8}")
        labels = {
            "district_service": "district report (service)",
            "district_page": "GET /reports/district (page)",
            "host_service": "host report, busiest host (service)",
            "host_page": "GET /reports/host (page)",
            "district_year": "district report, 365 days (service)",
        }
        for key in ("district_service", "district_page", "host_service", "host_page", "district_year"):
            r = results[key]
            print(f"{labels[key]:<42} {r['cold_ms']:>8} {r['median_ms']:>10} {r['max_ms']:>8}")
        print("\nquery plans:")
        for name, text in plan.items():
            print(f"  {name}: {text}")
        worst = max(results["district_page"]["median_ms"], results["district_service"]["median_ms"])
        ok = worst < 1000
        print(f"\ngoal: monthly district report under 1 s: {'PASS' if ok else 'FAIL'} ({worst} ms)")
        return 0 if ok else 1
    finally:
        if KEEP:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
