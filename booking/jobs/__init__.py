"""Background jobs on Huey: `huey_consumer booking.jobs.huey` runs them.

Huey keeps its queue and schedule in SQLite (instance/jobs.sqlite3, the `make run` default:
no extra server) or in Redis (JOBS_URL=redis://..., several runners share one queue).
Tasks live in booking/jobs/tasks.py; each calls an existing service inside an app context.
"""
from .runner import huey, periodic, task  # noqa: F401
from . import tasks  # noqa: F401,E402  (registers the tasks with huey)
