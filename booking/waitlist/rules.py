"""Pure waitlist rules: no Flask, no database."""

from datetime import datetime, timedelta

# Refusals that concern the slot, not the worker: nobody can be served now; the line waits.
SLOT_REFUSALS = frozenset(("closed", "outside_window", "changed", "slot_full"))


def offer_deadline(start_at: datetime, now: datetime, offer_minutes: int, min_notice_minutes: int) -> datetime:
    """An offered place is held for the host's offer time, never past the slot's booking cutoff."""
    return min(now + timedelta(minutes=offer_minutes), start_at - timedelta(minutes=min_notice_minutes))


def offer_ran_out(expires_at: datetime, start_at: datetime, now: datetime) -> bool:
    return expires_at <= now or start_at <= now
