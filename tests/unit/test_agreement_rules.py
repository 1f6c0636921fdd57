"""quotas.rules.terms_in_force: which agreement holds for a facility on a day."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from booking.quotas.rules import Candidate, Terms, terms_in_force

D = date(2026, 12, 7)


def candidate(id_, direct=True, since=D, until=None, facilities=None, minutes=600, bookings=None):
    return Candidate(Terms(id_, minutes, bookings), direct, since, until, facilities)


def test_none_without_a_candidate_in_force():
    assert terms_in_force((), 1, D) is None
    assert terms_in_force((candidate(1, since=D + timedelta(days=1)),), 1, D) is None
    assert terms_in_force((candidate(1, since=D - timedelta(days=9), until=D - timedelta(days=1)),), 1, D) is None
    assert terms_in_force((candidate(1, facilities=frozenset({2, 3})),), 1, D) is None


def test_first_and_last_day_are_in_force():
    c = candidate(1, since=D, until=D)
    assert terms_in_force((c,), 5, D) == Terms(1, 600, None)


def test_the_enterprise_own_agreement_wins_over_a_newer_union_wide_one():
    own = candidate(1, direct=True, since=D - timedelta(days=30))
    union = candidate(9, direct=False, since=D)
    assert terms_in_force((union, own), 5, D).id == 1


def test_then_the_latest_valid_from_then_the_latest_made():
    older = candidate(7, since=D - timedelta(days=3))
    newer = candidate(2, since=D - timedelta(days=1))
    twin = candidate(3, since=D - timedelta(days=1))
    assert terms_in_force((older, newer), 5, D).id == 2
    assert terms_in_force((older, newer, twin), 5, D).id == 3


def test_a_listed_facility_only():
    listed = candidate(4, facilities=frozenset({5}))
    assert terms_in_force((listed,), 5, D).id == 4
    assert terms_in_force((listed,), 6, D) is None


days = st.integers(-5, 5).map(lambda n: D + timedelta(days=n))
candidates = st.lists(
    st.builds(
        lambda i, direct, since, length, facilities: candidate(
            i, direct, since, None if length is None else since + timedelta(days=length), facilities
        ),
        st.integers(1, 10_000),
        st.booleans(),
        days,
        st.none() | st.integers(0, 4),
        st.none() | st.frozensets(st.integers(1, 4), max_size=3),
    ),
    max_size=8,
    unique_by=lambda c: c.terms.id,
)


@given(candidates, st.integers(1, 4), days)
def test_same_choice_as_the_sql_order(cands, facility_id, day):
    """The order the agreement query used to sort by: enterprise_id IS NULL, valid_from DESC, id DESC."""
    in_force = [
        c
        for c in cands
        if c.valid_from <= day
        and (c.valid_until is None or c.valid_until >= day)
        and (c.facilities is None or facility_id in c.facilities)
    ]
    in_force.sort(key=lambda c: (not c.direct, -c.valid_from.toordinal(), -c.terms.id))
    assert terms_in_force(tuple(cands), facility_id, day) == (in_force[0].terms if in_force else None)
