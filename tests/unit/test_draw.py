"""The fair draw's algorithm (booking/draw/algorithm.py) and the simulation in docs/."""

import hashlib
import importlib.util
import random
from collections import Counter
from pathlib import Path

from booking.draw.algorithm import Application, allocate, draw_order, enterprise_order, seed_hash, uniform

SEED = bytes.fromhex("5f" * 32)


def apps():
    return [Application(id=i, enterprise_id=i % 4, places=1 + i % 3) for i in range(1, 21)]


def test_the_same_seed_and_input_give_the_same_order_whatever_the_listing_order():
    shuffled = apps()
    random.Random(7).shuffle(shuffled)
    usage, shares = {0: 60, 1: 0}, {0: 0.25, 1: 0.25, 2: 0.25, 3: 0.25}
    assert draw_order(SEED, apps(), usage, shares) == draw_order(SEED, shuffled, usage, shares)
    assert draw_order(SEED, apps(), usage, shares) != draw_order(b"another seed", apps(), usage, shares)
    assert sorted(draw_order(SEED, apps(), usage, shares)) == list(range(1, 21))
    assert seed_hash(SEED) == hashlib.sha256(SEED).hexdigest()


def test_uniform_is_in_the_open_interval_and_reproducible():
    values = [uniform(SEED, f"application:{i}") for i in range(1000)]
    assert all(0 < v < 1 for v in values) and values == [uniform(SEED, f"application:{i}") for i in range(1000)]


def test_enterprises_that_used_less_of_their_share_go_first_and_take_turns():
    shares = {1: 0.5, 2: 0.25, 3: 0.25}
    usage = {1: 120, 2: 120, 3: 0}  # ratios: 240, 480, 0
    assert enterprise_order(SEED, [1, 2, 3], usage, shares) == [3, 1, 2]
    applications = [Application(10, 1), Application(11, 1), Application(20, 2), Application(30, 3)]
    order = draw_order(SEED, applications, usage, shares)
    assert order[:3] == [30, order[1], 20] and order[1] in (10, 11) and order[3] in (10, 11)


def test_each_recent_no_show_lowers_the_chance_of_coming_first():
    firsts = Counter()
    for s in range(2000):
        order = draw_order(
            s.to_bytes(4, "big"), [Application(1, 1, no_shows=0), Application(2, 1, no_shows=2)], {}, {1: 1}
        )
        firsts[order[0]] += 1
    # weight 1 against 1/4: the worker without no-shows comes first 4 times in 5
    assert 1500 < firsts[1] < 1700


def test_allocation_fills_what_fits_in_order():
    winners, rest = allocate([1, 2, 3, 4], {1: 2, 2: 3, 3: 1, 4: 1}, 4)
    assert (winners, rest) == ([1, 3, 4], [2])


def test_the_simulation_shows_the_draw_spreads_places_more_evenly():
    path = Path(__file__).resolve().parents[2] / "docs" / "draw_simulation.py"
    spec = importlib.util.spec_from_file_location("draw_simulation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.simulate()
    fc, draw = result["first_come"], result["draw"]
    assert fc["places"] == draw["places"] == 4 * 7 * 9
    assert draw["gini_per_100_workers"] < fc["gini_per_100_workers"] / 2
    assert draw["enterprises_served"] > fc["enterprises_served"]
    assert draw["distinct_winners"] > fc["distinct_winners"]
