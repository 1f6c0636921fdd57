"""The job runner: a periodic job run by several runners at once does each item once.

Two more runners start beside the cluster's own, on the same Redis. Before they start, the
same period of `release_no_shows` is enqueued twice (what two runners' schedulers do each
minute): one run claims the period, the other finds it taken. Each runner's scheduler also
enqueues the job for the current minute when it starts. Whatever runs, each booking past its
check-in window becomes a no-show exactly once and the counters stay exact.
"""

import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import integrity, timeutil
from booking.extensions import db
from booking.reservations import services as reservations
from booking.reservations.models import Reservation
from tests import factories as f
from tests.tools.cluster import ROOT, VENV_BIN, Runner, wait_until

pytestmark = pytest.mark.cluster
ITEMS = 12
RAN = re.compile(r"job release_no_shows period (\S+): \{'no_show': (\d+), 'expired': (\d+)\}")
SKIPPED = re.compile(r"job release_no_shows period (\S+): already run by another runner")


@pytest.fixture
def past_due(cluster, fresh):
    """ITEMS confirmed bookings of yesterday's slots, never checked in; and where the cluster's
    own runner's log stood before they were made (it may release them as soon as they exist)."""
    seen = len(cluster.runner.log())
    host, ent = f.org("Host"), f.org("Ent")
    court = f.facility(f.venue(host), "Court", capacity=ITEMS, opens=7 * 60, closes=22 * 60)
    f.agreement(host, ent)
    day = timeutil.local_date(timeutil.utcnow(), "Asia/Shanghai") - timedelta(days=1)
    start = timeutil.local_to_utc(day, 9 * 60, "Asia/Shanghai")
    for i in range(ITEMS):
        reservations.book(f.user(f"late{i}", ent), court.id, start, now=start - timedelta(hours=20))
    db.session.remove()
    return court.id, seen


def statuses(facility_id) -> list[str]:
    db.session.remove()
    return list(db.session.scalars(select(Reservation.status).where(Reservation.facility_id == facility_id)))


def test_two_runners_at_once_each_item_once(cluster, past_due):
    court, seen = past_due

    def logs() -> str:  # every runner's log, the cluster's own from this test on
        return "".join(r.log() for r in runners) + cluster.runner.log()[seen:]

    # Two messages for one period in the shared queue, as two schedulers would put them.
    subprocess.run(
        [
            str(VENV_BIN / "python"),
            "-c",
            "from booking.jobs.tasks import release_no_shows as job\n"
            "job(period='2000-01-01T00:00'); job(period='2000-01-01T00:00')",
        ],
        env=cluster.env,
        cwd=ROOT,
        check=True,
    )
    runners = [Runner(f"runner{i}", cluster.folder / f"runner{i}", cluster.env).launch() for i in (1, 2)]
    try:
        for r in runners:
            r.ready()
        wait_until(lambda: statuses(court).count("no_show") == ITEMS, "no-shows released", 60)
        wait_until(lambda: "2000-01-01T00:00" in SKIPPED.findall(logs()), "the second run of the period", 30)
    finally:
        for r in runners:
            r.stop(r.fast_stop)
    ran = RAN.findall(logs())
    assert [p for p, _, _ in ran].count("2000-01-01T00:00") == 1, ran
    assert SKIPPED.findall(logs()).count("2000-01-01T00:00") == 1, logs()
    periods = [p for p, _, _ in ran]
    assert len(periods) == len(set(periods)), f"a period ran twice: {ran}"
    assert sum(int(n) for _, n, _ in ran) == ITEMS, ran  # each booking released by exactly one run
    assert statuses(court) == ["no_show"] * ITEMS
    assert integrity.check() == []


def test_claim_on_sqlite_storage_once_per_period(tmp_path, monkeypatch):
    """The `make run` shape: the same claim on Huey's SQLite storage; old claims are dropped."""
    monkeypatch.setenv("JOBS_URL", f"sqlite:///{tmp_path / 'default.sqlite3'}")  # never instance/
    from booking.jobs import runner

    monkeypatch.setattr(runner, "huey", runner.make_huey(f"sqlite:///{tmp_path / 'jobs.sqlite3'}"))
    assert runner.claim("job", "2026-01-01T00:00", "a") is True
    assert runner.claim("job", "2026-01-01T00:00", "b") is False
    for minute in range(1, runner._RECENT + 2):
        assert runner.claim("job", f"2026-01-01T00:{minute:02d}", "a") is True
    assert runner.claim("job", "2026-01-01T00:00", "c") is True  # long gone: pruned
