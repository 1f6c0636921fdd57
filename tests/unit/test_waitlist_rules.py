"""Pure waitlist rules."""

from datetime import datetime, timedelta, timezone

from booking.waitlist.rules import offer_deadline, offer_ran_out

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def test_an_offer_runs_the_hosts_time_but_never_past_the_cutoff():
    start = NOW + timedelta(hours=3)
    assert offer_deadline(start, NOW, 15, 30) == NOW + timedelta(minutes=15)
    assert offer_deadline(start, NOW, 240, 30) == start - timedelta(minutes=30)


def test_an_offer_runs_out_at_its_deadline_or_when_the_slot_starts():
    start = NOW + timedelta(hours=1)
    assert not offer_ran_out(NOW + timedelta(minutes=15), start, NOW + timedelta(minutes=14))
    assert offer_ran_out(NOW + timedelta(minutes=15), start, NOW + timedelta(minutes=15))
    assert offer_ran_out(start + timedelta(minutes=5), start, start)
