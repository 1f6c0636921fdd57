"""Background jobs on Huey: `huey_consumer booking.jobs.tasks.huey` runs them (the job runner).

Huey keeps its queue and schedule in SQLite (instance/jobs.sqlite3, the `make run` default:
no extra server) or in Redis (JOBS_URL=redis://..., several runners share one queue).
runner.py makes the Huey instance; tasks.py holds the jobs, each calling an existing service
inside an app context. Importing this package creates nothing (the web app imports its CLI).
"""
