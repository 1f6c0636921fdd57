"""Real races: N processes, each with its own app and database connection, released at once.

Each process builds the app, waits at a barrier, then makes one API call through Flask's test
client (the full path: bearer auth, scoping, rules, the booking transaction). Processes are
forked, and each finishes with os._exit (multiprocessing does that), so the parent's database
connections are never touched by a child.
"""
import multiprocessing as mp


def _child(url, config, barrier, results, token, method, path, body):
    from booking import create_app
    from tests.conftest import make_config
    app = create_app(make_config(url, **config))
    client = app.test_client()
    client.get("/healthz")  # warm up: imports, first connection
    try:
        barrier.wait(timeout=60)
        response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        payload = response.get_json(silent=True) or {}
        results.put((response.status_code, (payload.get("error") or {}).get("code"), payload.get("result")))
    except Exception as exc:  # reported, never swallowed: the test asserts on every result
        results.put((0, repr(exc), None))


def race(url: str, calls: list[tuple[str, str, str, dict | None]], config: dict | None = None,
         timeout: float = 120) -> list[tuple[int, str | None, str | None]]:
    """Run `calls` [(token, method, path, body)] at once; returns [(status, error code, result)]."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(calls))
    results = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(url, config or {}, barrier, results, *call)) for call in calls]
    for p in procs:
        p.start()
    out = [results.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=timeout)
    return out
