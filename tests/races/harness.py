"""Real races: N processes, each with its own database connection, released at once.

The racers' app is built once, here in the test's process, after whatever the test
monkeypatched (a control switching a guard off); then the racers are forked from it. Each
process drops the connection pool it inherited (without closing the parent's connections: the
app is built with none open), opens its own connection, waits at a barrier, then makes one API
call through Flask's test client (the full path: bearer auth, scoping, rules, the booking
transaction). Each finishes with os._exit (multiprocessing does that), so the parent's database
connections are never touched by a child.
"""

import multiprocessing as mp

from booking import create_app
from booking.extensions import db


def racers_app(url: str, config: dict | None = None):
    """The app every racer forks from: a fresh app of the test's database, no connection open."""
    from tests.conftest import make_config

    app = create_app(make_config(url, **(config or {})))
    with app.app_context():
        db.engine.dispose()
    return app


def own_connections(app) -> None:
    """In a forked racer: forget the pool inherited from the parent (close=False: a connection
    the parent may hold stays the parent's), so every connection this process uses is its own."""
    with app.app_context():
        db.engine.dispose(close=False)


def _child(app, barrier, results, token, method, path, body):
    own_connections(app)
    client = app.test_client()
    client.get("/healthz")  # warm up: first connection
    try:
        barrier.wait(timeout=60)
        response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        payload = response.get_json(silent=True) or {}
        results.put((response.status_code, (payload.get("error") or {}).get("code"), payload.get("result")))
    except Exception as exc:  # reported, never swallowed: the test asserts on every result
        results.put((0, repr(exc), None))


def race(
    url: str, calls: list[tuple[str, str, str, dict | None]], config: dict | None = None, timeout: float = 120
) -> list[tuple[int, str | None, str | None]]:
    """Run `calls` [(token, method, path, body)] at once; returns [(status, error code, result)]."""
    ctx = mp.get_context("fork")
    app = racers_app(url, config)
    barrier = ctx.Barrier(len(calls))
    results = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(app, barrier, results, *call)) for call in calls]
    for p in procs:
        p.start()
    out = [results.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=timeout)
    return out


def _job_child(app, barrier, results, index, job):
    own_connections(app)
    with app.app_context():
        try:
            barrier.wait(timeout=60)
            results.put((index, job()))
        except Exception as exc:  # reported, never swallowed: the test asserts on every result
            results.put((index, ("error", repr(exc))))


def together(url: str, jobs: list, config: dict | None = None, timeout: float = 120) -> list:
    """Run each callable in `jobs` in its own process (own connections), released at once;
    returns what each returned, in the order given. A job returns a picklable value.

    Processes are forked: whatever the test monkeypatched before (a control switching a guard
    off, a hook holding a process at a chosen point) holds in every child.
    """
    ctx = mp.get_context("fork")
    app = racers_app(url, config)
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_job_child, args=(app, barrier, results, i, job)) for i, job in enumerate(jobs)]
    for p in procs:
        p.start()
    out = dict(results.get(timeout=timeout) for _ in procs)
    for p in procs:
        p.join(timeout=timeout)
    return [out[i] for i in range(len(jobs))]
