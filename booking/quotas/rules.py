"""Which agreement is in force: the choice among an enterprise's agreements at a host (pure)."""

from datetime import date
from typing import NamedTuple


class Terms(NamedTuple):
    """What a booking is held to: the agreement in force (its id) and its two limits (None: none)."""

    id: int
    minutes_per_week: int | None
    bookings_per_worker: int | None


class Candidate(NamedTuple):
    """An agreement that covers an enterprise at a host, made with it (`direct`) or with a union
    above it; `facilities`: the ids it shares, None when it shares all of the host's."""

    terms: Terms
    direct: bool
    valid_from: date
    valid_until: date | None
    facilities: frozenset[int] | None


def terms_in_force(candidates: tuple[Candidate, ...], facility_id: int, day: date) -> Terms | None:
    """The agreement in force on `day` for `facility_id`: one made with the enterprise itself wins
    over a union-wide one, then the one valid from the latest day, then the latest made (id)."""
    best, best_key = None, None
    for c in candidates:
        if c.valid_from > day or (c.valid_until is not None and c.valid_until < day):
            continue
        if c.facilities is not None and facility_id not in c.facilities:
            continue
        key = (c.direct, c.valid_from, c.terms.id)
        if best_key is None or key > best_key:
            best, best_key = c.terms, key
    return best
