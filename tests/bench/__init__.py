"""`make bench`: load tests of the API served by gunicorn, driven by wrk (see docs/benchmarks.md)."""
