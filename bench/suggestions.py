"""Benchmark: suggested groups (groups.suggestions) for one centre's waiting list.

    .venv/bin/python bench/suggestions.py [--sizes 500 2000] [--seed 1]

Makes a waiting list of N ready people in one centre, as a centre's would
look: one to three times of week each (weekday mornings, afternoons and
evenings, evenings most asked for), in person / by video / either, across
problems / same problem / no preference, one to three of ten themes, ages
18-85, women more often than men, and one pair in about forty kept apart.
It times the solver (`groups.suggestions.solver.solve`, both stages) on it
and prints the people placed against the greedy first-fit by time of week
and against an upper bound: the people who share a time of week with at
least three others. The solver runs on the data the service loads from the
database (three queries for any size), without the database itself.

Targets (issue 16): 500 people under 5 s, 2,000 under 20 s, on this 2-core
machine.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selvhjelp.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

import django  # noqa: E402

django.setup()

from groups.suggestions.solver import Person, solve, upper_bound  # noqa: E402
from intake.models import Slot  # noqa: E402

TARGETS = {500: 5.0, 2000: 20.0}
PARTS = Slot.Part.values


def waiting_list(count, seed):
    """`count` Persons and the pairs kept apart, the same for the same seed."""
    rng = random.Random(seed)
    slots = [(day, part) for day in range(5) for part in PARTS]
    weights = [1 if part == "morning" else 2 if part == "afternoon" else 4 for _d, part in slots]
    people = []
    for index in range(count):
        chosen = set()
        for _ in range(rng.choice([1, 2, 2, 3, 3])):
            chosen.add(rng.choices(slots, weights)[0])
        people.append(
            Person(
                id=index + 1,
                rank=index,
                slots=frozenset(chosen),
                format=rng.choices(["physical", "digital", "either"], [5, 2, 3])[0],
                kind=rng.choices(["across", "same", "any"], [3, 1, 5])[0],
                themes=frozenset(rng.sample(range(1, 11), rng.randint(1, 3))),
                age=rng.randint(18, 85),
                gender=rng.choices(["woman", "man", "other", ""], [6, 3, 1, 1])[0],
            )
        )
    pairs = set()
    for _ in range(count // 40):
        a, b = rng.sample(range(1, count + 1), 2)
        pairs.add((min(a, b), max(a, b)))
    return people, pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    failed = False
    print(f"{'people':>7} {'placed':>7} {'greedy':>7} {'bound':>7} {'groups':>7} {'seconds':>8}")
    for size in args.sizes:
        people, pairs = waiting_list(size, args.seed)
        started = time.monotonic()
        plan = solve(people, pairs, digital=True)
        seconds = time.monotonic() - started
        baseline_placed = plan.greedy_placed
        print(
            f"{size:>7} {len(plan.placed):>7} {baseline_placed:>7} "
            f"{upper_bound(people):>7} {len(plan.groups):>7} {seconds:>8.2f}"
            + ("  (greedy plan used)" if plan.used_greedy else "")
        )
        target = TARGETS.get(size)
        if target is not None and seconds >= target:
            print(f"  over the target of {target:.0f} s")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
