"""The fuzz tier: generated requests against the app in-process, on SQLite and PostgreSQL.

Every request goes through `Tally.send`, which counts it per database and records every 5xx;
the totals are printed at the end of the run (and the tests fail on any 5xx).
"""

from collections import defaultdict
from datetime import timedelta

import pytest

from booking import timeutil
from tests import factories as f
from tests import world as w

# Bounds: the whole tier (both databases) stays within a few minutes on 2 cores.
API_EXAMPLES = 8  # per operation, role and generation mode
FORM_EXAMPLES = 12  # per form


class Tally:
    def __init__(self):
        self.requests = defaultdict(int)
        self.errors = defaultdict(list)

    def count(self, backend: str, label: str, status: int) -> None:
        self.requests[backend] += 1
        if status >= 500:
            self.errors[backend].append(f"{status} {label}")


TALLY = Tally()


@pytest.fixture
def tally(backend):
    def count(label: str, status: int) -> None:
        TALLY.count(backend, label, status)

    return count


def pytest_terminal_summary(terminalreporter):
    if not TALLY.requests:
        return
    terminalreporter.write_sep("-", "fuzz tier")
    for backend in sorted(TALLY.requests):
        errors = TALLY.errors[backend]
        terminalreporter.write_line(f"fuzz {backend}: {TALLY.requests[backend]} requests, {len(errors)} answered 5xx")
        for line in sorted(set(errors))[:20]:
            terminalreporter.write_line(f"    {line}")


@pytest.fixture
def fuzz_world(ctx):
    """The reservation world plus a host admin who is also staff, and bookings to point at."""
    world = w.build()
    f.user("hostadmin", roles=[("host_admin", world.host), ("host_staff", world.host)])
    from booking.reservations import services

    day = timeutil.local_date(timeutil.utcnow(), w.TZ) + timedelta(days=1)
    for hour, who in ((19, world.worker), (20, world.worker2)):
        services.book(who, world.gym.id, timeutil.local_to_utc(day, hour * 60, w.TZ), 1)
    services.book(world.worker, world.court.id, timeutil.local_to_utc(day, 18 * 60, w.TZ), 1)
    return world
