"""Property tests of the solver on generated waiting lists (no database).

Whatever the list: no proposal breaks a hard rule (groups.rules' predicates,
the ones the solver itself uses, and the sizes), and no plan places fewer
people than the simple greedy first-fit by time of week.
"""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.models import MAX_MEMBERS, MIN_MEMBERS, Group
from groups.rules import accepts_format, accepts_kind, can_meet
from groups.suggestions.solver import GroupType, Person, _longest_waiting_first, greedy, solve

SLOTS = [(1, "evening"), (1, "morning"), (3, "evening"), (5, "afternoon")]


@st.composite
def waiting_lists(draw):
    count = draw(st.integers(min_value=0, max_value=28))
    people = []
    for index in range(count):
        people.append(
            Person(
                id=index + 1,
                rank=index,
                slots=frozenset(draw(st.sets(st.sampled_from(SLOTS), max_size=3))),
                format=draw(st.sampled_from(["physical", "digital", "either"])),
                kind=draw(st.sampled_from(["across", "same", "any"])),
                themes=frozenset(draw(st.sets(st.sampled_from([1, 2, 3]), max_size=2))),
                age=draw(st.integers(min_value=18, max_value=90)),
                gender=draw(st.sampled_from(["woman", "man", "other", ""])),
            )
        )
    pairs = set()
    if count >= 2:
        for _ in range(draw(st.integers(min_value=0, max_value=count // 2))):
            a = draw(st.integers(min_value=1, max_value=count))
            b = draw(st.integers(min_value=1, max_value=count))
            if a != b:
                pairs.add((min(a, b), max(a, b)))
    return people, pairs, draw(st.booleans())


def broken_rules(plan, people, pairs, digital):
    """Every hard rule a plan breaks, as text (empty when it obeys them all)."""
    by_id = {p.id: p for p in people}
    broken, seen = [], set()
    for group in plan.groups:
        type_ = group.type
        if not MIN_MEMBERS <= len(group.members) <= MAX_MEMBERS:
            broken.append(f"size {len(group.members)}")
        if type_.format == Group.Format.DIGITAL and not digital:
            broken.append("digital without digital groups")
        if type_.kind == Group.Kind.SAME and type_.theme is None:
            broken.append("same problem without a theme")
        for pid in group.members:
            person = by_id[pid]
            if pid in seen:
                broken.append(f"{pid} in two groups")
            seen.add(pid)
            if not can_meet(person.slots, type_.weekday, type_.part):
                broken.append(f"{pid} cannot meet then")
            if not accepts_format(person.format, type_.format):
                broken.append(f"{pid} does not accept the format")
            if not accepts_kind(person.kind, person.themes, type_.kind, type_.theme):
                broken.append(f"{pid} does not accept the kind")
        members = set(group.members)
        broken += [f"{a} with {b}" for a, b in pairs if a in members and b in members]
    return broken


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(waiting_lists())
def test_no_proposal_breaks_a_hard_rule_nor_places_fewer_than_greedy(data):
    people, pairs, digital = data
    plan = solve(people, pairs, digital=digital)
    assert broken_rules(plan, people, pairs, digital) == []
    baseline = greedy(people, pairs, digital=digital)
    assert broken_rules(baseline, people, pairs, digital) == []
    assert len(plan.placed) >= len(baseline.placed)


def test_the_solver_places_more_than_greedy_where_greedy_is_poor():
    """People who share Tuesday and Thursday: greedy fills Tuesday and strands the rest."""
    rng = random.Random(7)
    people = []
    for index in range(60):
        slots = rng.sample([(d, p) for d in range(5) for p in ("morning", "evening")], 2)
        people.append(
            Person(
                id=index + 1,
                rank=index,
                slots=frozenset(slots),
                format="either",
                kind="any",
                themes=frozenset(),
                age=30 + index % 20,
                gender="woman" if index % 2 else "man",
            )
        )
    plan = solve(people)
    baseline = greedy(people)
    assert broken_rules(plan, people, set(), False) == []
    assert not plan.used_greedy
    assert len(plan.placed) > len(baseline.placed)


def tuesday(rank, **values):
    values = {"format": "either", "kind": "any", "themes": frozenset(), "age": 40, **values}
    return Person(id=rank + 1, rank=rank, slots=frozenset({(1, "evening")}), **values)


def test_nine_who_fit_one_time_are_all_placed_in_two_groups():
    plan = solve([tuesday(n) for n in range(9)])
    assert len(plan.placed) == 9
    assert sorted(len(g.members) for g in plan.groups) == [4, 5]


def test_nobody_who_waited_longer_is_left_out_for_someone_newer():
    """The one who waited longest takes the place of the newest in the same kind of group."""
    people = [tuesday(n) for n in range(9)]
    type_ = GroupType(1, "evening", "physical", "across")
    assigned = {type_: [p.id for p in people[1:]]}  # the longest waiting left out
    assert _longest_waiting_first(assigned, people, set()) == {
        type_: [p.id for p in people[1:8]] + [people[0].id]
    }
    # Unless a rule forbids it: kept apart from someone in a single group.
    assigned = {type_: [p.id for p in people[1:]]}
    pairs = {(people[0].id, people[3].id)}
    assert _longest_waiting_first(assigned, people, pairs)[type_] == [p.id for p in people[1:]]


def test_the_same_list_gives_the_same_plan():
    rng = random.Random(3)
    people = [
        Person(
            id=n + 1,
            rank=n,
            slots=frozenset(rng.sample(SLOTS, 2)),
            format=rng.choice(["physical", "either"]),
            kind="any",
            themes=frozenset(),
            age=rng.randint(20, 80),
            gender=rng.choice(["woman", "man"]),
        )
        for n in range(40)
    ]
    first, second = solve(people), solve(people)
    assert [(g.type, g.members) for g in first.groups] == [
        (g.type, g.members) for g in second.groups
    ]
