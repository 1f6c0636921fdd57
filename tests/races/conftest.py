"""Controls for the race tests: each switches a real guard off from the test side, before the
fork, so the same race shows that it breaks without it. Production code has no switch."""
import pytest

from booking.database import GuardedCounter


@pytest.fixture
def counters_unguarded(monkeypatch):
    """Every guarded counter (slot places, enterprise minutes, worker bookings) ignores its limit."""
    add = GuardedCounter.add
    monkeypatch.setattr(GuardedCounter, "add", lambda self, amount, limit, **key: add(self, amount, None, **key))
