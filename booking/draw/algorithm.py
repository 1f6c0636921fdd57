"""The fair draw (摇号), as a pure function anyone can re-run: docs/draw.md explains it.

    order = draw_order(seed, applications, usage, shares)
    winners, losers = allocate(order, capacity)

Randomness comes only from the seed, through HMAC-SHA256 of a label per enterprise and per
application, so the result does not depend on the order the inputs are listed in, and the same
seed and input always give the same order (published: sha256(seed) before, seed after).
"""

import hashlib
import hmac
from dataclasses import dataclass

ALGORITHM = "turns-by-share-v1"


@dataclass(frozen=True)
class Application:
    id: int
    enterprise_id: int
    places: int = 1
    no_shows: int = 0  # the worker's recent no-shows at this host


def uniform(seed: bytes, label: str) -> float:
    """A number in (0, 1) drawn from the seed for this label: HMAC-SHA256(seed, label) as a
    256-bit integer, plus one half, over 2**256."""
    digest = hmac.new(seed, label.encode(), hashlib.sha256).digest()
    return (int.from_bytes(digest, "big") + 0.5) / 2**256


def seed_hash(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def usage_ratio(used: float, share: float) -> float:
    """How much of its fair share an enterprise used recently (0 = nothing; 1 = exactly its share)."""
    return used / share if share > 0 else float("inf")


def enterprise_order(seed: bytes, enterprise_ids, usage: dict, shares: dict) -> list[int]:
    """Enterprises that used less of their share go earlier; equal ratios in a seeded random order."""
    return sorted(
        set(enterprise_ids),
        key=lambda e: (usage_ratio(usage.get(e, 0), shares.get(e, 0)), uniform(seed, f"enterprise:{e}")),
    )


def applicant_key(seed: bytes, application: Application) -> float:
    """A seeded weighted random key (Efraimidis–Spirakis: u ** (1 / weight), larger goes first);
    each recent no-show halves the weight: weight = 1 / 2 ** no_shows."""
    weight = 1 / 2 ** min(application.no_shows, 30)
    return uniform(seed, f"application:{application.id}") ** (1 / weight)


def draw_order(seed: bytes, applications: list[Application], usage: dict, shares: dict) -> list[int]:
    """Application ids in draw order: enterprises take turns (first round, one application of each,
    in enterprise order; then the second round; ...), each enterprise's own applications in their
    weighted random order."""
    queues: dict[int, list[Application]] = {}
    for a in applications:
        queues.setdefault(a.enterprise_id, []).append(a)
    for queue in queues.values():
        queue.sort(key=lambda a: (-applicant_key(seed, a), a.id))
    order = []
    enterprises = enterprise_order(seed, queues, usage, shares)
    for turn in range(max((len(q) for q in queues.values()), default=0)):
        order += [queues[e][turn].id for e in enterprises if turn < len(queues[e])]
    return order


def allocate(order: list[int], places: dict[int, int], capacity: int) -> tuple[list[int], list[int]]:
    """Walk the order: an application wins when its places still fit (a smaller one further on
    may fit after a bigger one did not). Returns (winners, the rest in draw order)."""
    left, winners, rest = capacity, [], []
    for application_id in order:
        need = places[application_id]
        if need <= left:
            winners.append(application_id)
            left -= need
        else:
            rest.append(application_id)
    return winners, rest
