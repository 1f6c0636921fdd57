#!/usr/bin/env bash
# Run a command (the web server) with the job runner beside it: `deploy/with-jobs.sh gunicorn ...`.
# Ctrl-C, a TERM, or either one ending stops both. `make run` uses it; production runs the two
# as separate systemd units instead (deploy/systemd/).
set -u
BIN="$(dirname "$0")/../.venv/bin"
"$BIN/huey_consumer" booking.jobs.tasks.huey --workers "${JOBS_WORKERS:-1}" --worker-type thread --max-delay 2 &
runner=$!
"$@" &
web=$!
stop() { kill -TERM "$web" "$runner" 2>/dev/null; }
trap stop INT TERM
wait -n "$web" "$runner"
status=$?
stop
wait "$web" "$runner" 2>/dev/null
exit $status
