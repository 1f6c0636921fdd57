"""The Huey instance, and the decorators that give each task an app context.

Periodic tasks run once per period however many runners there are: every runner's scheduler
enqueues them, and the first run to claim (task, period) in the shared storage (an atomic
put-if-empty: Redis SET NX, SQLite INSERT) runs; the others log that the period is done.
"""

import functools
import logging
import os
import threading
from datetime import datetime, timezone

from huey import RedisExpireHuey, SqliteHuey

log = logging.getLogger("huey.jobs")  # huey_consumer shows the "huey" loggers
CLAIM_SECONDS = 2 * 24 * 3600  # a period's claim outlives any runner's lag
_RECENT = 20  # claims kept per task where the storage has no expiry (SQLite)


def make_huey(url: str | None = None, instance_path: str | None = None):
    """JOBS_URL: redis://host:port/db (a cluster), else SQLite under the instance folder."""
    url = url if url is not None else os.environ.get("JOBS_URL", "")
    if url.startswith(("redis://", "rediss://", "unix://")):
        # RedisExpireHuey: keys expire on their own (claims too), on any Redis version.
        return RedisExpireHuey("shared-venues", url=url, results=False, expire_time=CLAIM_SECONDS)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
    else:
        from .. import ROOT

        folder = instance_path or os.environ.get("INSTANCE_PATH") or str(ROOT / "instance")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "jobs.sqlite3")
    return SqliteHuey("shared-venues", filename=path, results=False)


huey = make_huey()
_app = None
_app_lock = threading.Lock()


def app():
    """One Flask app per runner process (the consumer's worker threads share it)."""
    global _app
    with _app_lock:
        if _app is None:
            from .. import create_app

            _app = create_app()
    return _app


def _in_app_context(func):
    @functools.wraps(func)
    def run(*args, **kwargs):
        from ..extensions import db

        with app().app_context():
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def task(**options):
    """A job to run later: `@task()` then `my_job(args)` enqueues it."""

    def decorator(func):
        return huey.task(name=func.__name__, **options)(_in_app_context(func))

    return decorator


def period_of(timestamp: datetime) -> str:
    """The scheduler's minute, the unit of every crontab period."""
    return timestamp.strftime("%Y-%m-%dT%H:%M")


def claim(name: str, period: str, runner: str | None = None) -> bool:
    """True for the first claim of (task, period) across every runner sharing the storage."""
    key = f"period:{name}:{period}"
    value = runner or f"{os.uname().nodename}:{os.getpid()}"
    try:
        return huey.storage.put_if_empty(key, value.encode(), CLAIM_SECONDS)
    except NotImplementedError:  # SQLite keeps claims until we drop them
        won = huey.storage.put_if_empty(key, value.encode())
        if won:
            recent = (huey.get(f"recent:{name}") or []) + [period]
            for old in recent[:-_RECENT]:
                huey.delete(f"period:{name}:{old}")
            huey.put(f"recent:{name}", recent[-_RECENT:])
        return won


def periodic(schedule, name: str | None = None):
    """`@periodic(crontab(minute="*"))`: once per period, whatever the number of runners.

    The period is the scheduler's minute, stamped on the task when it is enqueued (so a run
    that starts late still counts for its own period); a task enqueued by hand gets "now".
    """

    def decorator(func):
        job = name or func.__name__
        body = _in_app_context(func)

        def run(period: str | None = None):
            period = period or period_of(datetime.now(timezone.utc))
            if not claim(job, period):
                log.info("job %s period %s: already run by another runner", job, period)
                return None
            result = body()
            log.info("job %s period %s: %s", job, period, result)
            return result

        run.__name__, run.__module__, run.__doc__ = job, func.__module__, func.__doc__
        return huey.periodic_task(schedule, name=job)(run)

    return decorator


def _stamp_period(read_periodic):
    """Huey's scheduler reads due periodic tasks with its timestamp: pass it on as `period`."""

    @functools.wraps(read_periodic)
    def read(timestamp=None):
        if timestamp is None:
            timestamp = huey._get_timestamp()
        tasks = read_periodic(timestamp)
        for t in tasks:
            t.kwargs = {**(t.kwargs or {}), "period": period_of(timestamp)}
        return tasks

    return read


huey.read_periodic = _stamp_period(huey.read_periodic)
