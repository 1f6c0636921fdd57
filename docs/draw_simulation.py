"""Simulation: first-come vs the fair draw for scarce evening courts (docs/draw.md).

    python docs/draw_simulation.py            # prints the comparison
    (tests/unit/test_draw.py runs it and checks the draw spreads places more evenly)

50 enterprises of different sizes share one host's evening courts: 9 places an evening (3
courts, 3 evening hours), 4 weeks. Each evening every worker asks for a place with a small
probability (a tenth of them, keen players, most evenings). First-come: places go to whoever
taps first when the window opens at 08:00, and whether a worker can tap then depends on their shift (an enterprise's share of day-shift or
office workers), so the same quick workers win again and again. The draw: the algorithm of
booking/draw/algorithm.py with the host's recent use per enterprise and a few no-shows.

Measured: bookings per enterprise per 100 workers (their spread as a Gini coefficient; 0 =
everyone alike) and how much of all places the 10% most lucky workers took.
"""
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from booking.draw.algorithm import Application, allocate, draw_order  # noqa: E402

ENTERPRISES, WEEKS, PLACES_PER_EVENING, NO_SHOW_RATE = 50, 4, 9, 0.1
# A few keen players ask most evenings; most workers now and then.
KEEN_SHARE, KEEN_ASKS, OTHERS_ASK = 0.1, 0.3, 0.01


def gini(values) -> float:
    values = sorted(values)
    n, total = len(values), sum(values)
    if not n or not total:
        return 0.0
    return sum((2 * i - n + 1) * v for i, v in enumerate(values)) / (n * total)


def build_world(rng: random.Random):
    enterprises = []
    for e in range(ENTERPRISES):
        size = max(8, min(600, int(rng.lognormvariate(4.2, 0.9))))
        free_at_eight = rng.random()  # share of workers who can tap at 08:00 (day shift, office)
        workers = [(e * 10000 + i, rng.random() < free_at_eight,
                    KEEN_ASKS if rng.random() < KEEN_SHARE else OTHERS_ASK) for i in range(size)]
        enterprises.append({"id": e, "size": size, "workers": workers})
    return enterprises


def simulate(seed: int = 2026) -> dict:
    rng = random.Random(seed)
    enterprises = build_world(rng)
    total = sum(e["size"] for e in enterprises)
    shares = {e["id"]: e["size"] / total for e in enterprises}
    results = {}
    for method in ("first_come", "draw"):
        demand = random.Random(seed + 1)  # the same requests for both methods
        wins_by_worker, wins_by_enterprise = Counter(), Counter()
        used, no_shows = Counter(), Counter()
        for evening in range(WEEKS * 7):
            asks = [(e["id"], w, quick) for e in enterprises for w, quick, p in e["workers"]
                    if demand.random() < p]
            taps = {w: (0 if quick else 1) + demand.random() for _, w, quick in asks}
            if method == "first_come":
                winners = [w for _, w, _ in sorted(asks, key=lambda a: taps[a[1]])][:PLACES_PER_EVENING]
            else:
                apps = [Application(id=w, enterprise_id=e, no_shows=no_shows[w]) for e, w, _ in asks]
                order = draw_order(f"evening-{evening}".encode(), apps, used, shares)
                winners, _ = allocate(order, {a.id: 1 for a in apps}, PLACES_PER_EVENING)
            owner = {w: e for e, w, _ in asks}
            for w in winners:
                wins_by_worker[w] += 1
                wins_by_enterprise[owner[w]] += 1
                used[owner[w]] += 60
                if demand.random() < NO_SHOW_RATE:
                    no_shows[w] += 1
        per_100 = [100 * wins_by_enterprise[e["id"]] / e["size"] for e in enterprises]
        places = sum(wins_by_worker.values())
        top = sorted(wins_by_worker.values(), reverse=True)[:max(1, len(wins_by_worker) // 10)]
        results[method] = {
            "places": places,
            "enterprises_served": sum(1 for v in per_100 if v > 0),
            "gini_per_100_workers": round(gini(per_100), 3),
            "distinct_winners": len(wins_by_worker),
            "top10pct_winners_share": round(sum(top) / places, 3),
            "most_wins_one_worker": max(wins_by_worker.values()),
        }
    return results


def main() -> None:
    results = simulate()
    keys = list(results["first_come"])
    print(f"{'':28}{'first-come':>12}{'draw':>12}")
    for k in keys:
        print(f"{k:28}{results['first_come'][k]:>12}{results['draw'][k]:>12}")


if __name__ == "__main__":
    main()
