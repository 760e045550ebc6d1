"""The solver: who goes in which suggested group, on plain data (no database).

Two stages, both OR-Tools CP-SAT:

1. Each person gets at most one *kind of group*: a time of week, a format
   and across problems or around one theme (`group_types`). A kind of group
   with anyone in it has at least MIN_MEMBERS; one with two people whom staff
   keep apart needs room for two groups (more than MAX_MEMBERS). First the
   most people placed, then, with that many, those who waited longest.
2. The people of each kind of group, split into age bands, are divided into
   groups of MIN_MEMBERS-MAX_MEMBERS: keep-apart pairs in different groups,
   then an age spread within MAX_AGE_SPREAD, a mix of women and men, and
   groups of 6-8 rather than 4-5.

Both stages are deterministic for the same data: a fixed seed, a
deterministic time limit (with a wall-clock limit only as a safety net), and
the people in wait order. If the solver ever places fewer people than the
simple greedy first-fit by time of week (`greedy`), the greedy plan is used.
"""

import math
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from groups.models import MAX_MEMBERS, MIN_MEMBERS, Group
from groups.rules import MAX_AGE_SPREAD, accepts_format, accepts_kind, can_meet
from intake.models import Intake, Slot

SEED = 20261202
# CP-SAT's deterministic time is roughly seconds on one core; the wall-clock
# limit only stops a solve the machine is too busy for.
DETERMINISTIC_PER_PERSON = 0.0003
DETERMINISTIC_AT_LEAST = 0.03
# The people of one kind of group are split by age into blocks of this size
# at most before stage 2 (keeps each model small; neighbours in age belong
# together anyway).
BLOCK_SIZE = 16
PREFERRED_MIN_SIZE = 6
# Wall-clock seconds allowed per person waiting, in each of the two stages.
WALL_PER_PERSON = 0.003
WALL_AT_LEAST = 2.0
PART_ORDER = {part: index for index, part in enumerate(Slot.Part.values)}
FORMATS = (Group.Format.PHYSICAL, Group.Format.DIGITAL)


def slot_key(slot):
    weekday, part = slot
    return (weekday, PART_ORDER[part])


@dataclass(frozen=True)
class Person:
    """What the solver knows of one person waiting: no names, no free text."""

    id: int
    rank: int  # 0 has waited longest
    slots: frozenset  # {(weekday, part)}
    format: str  # Intake.Format
    kind: str  # Intake.Kind
    themes: frozenset  # ids of the themes chosen ("something else" left out)
    age: int
    gender: str = ""


@dataclass(frozen=True)
class GroupType:
    weekday: int
    part: str
    format: str
    kind: str
    theme: int | None = None

    @property
    def slot(self):
        return (self.weekday, self.part)

    def fits(self, person):
        return (
            can_meet(person.slots, self.weekday, self.part)
            and accepts_format(person.format, self.format)
            and accepts_kind(person.kind, person.themes, self.kind, self.theme)
        )

    def sort_key(self):
        return (
            slot_key(self.slot),
            FORMATS.index(self.format),
            self.kind != Group.Kind.ACROSS,
            self.theme or 0,
        )


@dataclass(frozen=True)
class PlannedGroup:
    type: GroupType
    members: tuple  # person ids, longest waiting first


@dataclass
class Plan:
    groups: list = field(default_factory=list)
    seconds: float = 0.0
    used_greedy: bool = False
    greedy_placed: int = 0  # people the greedy first-fit places on the same list

    @property
    def placed(self):
        return {pid for group in self.groups for pid in group.members}


def formats_for(digital):
    return FORMATS if digital else FORMATS[:1]


def group_types(people, *, digital):
    """{GroupType: [person ids]} for every kind of group at least MIN_MEMBERS people fit."""
    themes = sorted({theme for person in people for theme in person.themes})
    slots = sorted({slot for person in people for slot in person.slots}, key=slot_key)
    kinds = [(Group.Kind.ACROSS, None)] + [(Group.Kind.SAME, theme) for theme in themes]
    types = {}
    for weekday, part in slots:
        at = [p for p in people if can_meet(p.slots, weekday, part)]
        if len(at) < MIN_MEMBERS:
            continue
        for format in formats_for(digital):
            fit = [p for p in at if accepts_format(p.format, format)]
            if len(fit) < MIN_MEMBERS:
                continue
            for kind, theme in kinds:
                type_ = GroupType(weekday, part, format, kind, theme)
                members = [p.id for p in fit if accepts_kind(p.kind, p.themes, kind, theme)]
                if len(members) >= MIN_MEMBERS:
                    types[type_] = members
    return types


def upper_bound(people):
    """People who share a time of week with at least MIN_MEMBERS - 1 others."""
    count = {}
    for person in people:
        for slot in person.slots:
            count[slot] = count.get(slot, 0) + 1
    return sum(1 for person in people if any(count[slot] >= MIN_MEMBERS for slot in person.slots))


def _apart(pairs, a, b):
    return (min(a, b), max(a, b)) in pairs


def greedy(people, pairs=frozenset(), *, digital=False):
    """The simple baseline: time by time, groups across problems, first come first placed.

    For each time of week in order and each format, the people still free
    who fit are taken in wait order into a group of up to MAX_MEMBERS (each
    one kept apart from nobody already in it); a group of at least
    MIN_MEMBERS is kept, and the next one started.
    """
    free = sorted(people, key=lambda p: p.rank)
    groups = []
    slots = sorted({slot for person in people for slot in person.slots}, key=slot_key)
    for weekday, part in slots:
        for format in formats_for(digital):
            type_ = GroupType(weekday, part, format, Group.Kind.ACROSS)
            pool = [p for p in free if type_.fits(p)]
            while len(pool) >= MIN_MEMBERS:
                chosen = []
                for person in pool:
                    if len(chosen) == MAX_MEMBERS:
                        break
                    if not any(_apart(pairs, person.id, other.id) for other in chosen):
                        chosen.append(person)
                if len(chosen) < MIN_MEMBERS:
                    break
                groups.append(PlannedGroup(type_, tuple(p.id for p in chosen)))
                taken = {p.id for p in chosen}
                free = [p for p in free if p.id not in taken]
                pool = [p for p in pool if p.id not in taken]
    return Plan(groups=groups)


def scarce_first(people, pairs, types):
    """A better start for the solver than greedy: the scarcest kinds of group first.

    Repeatedly takes the kind of group (of `types`) with the fewest free
    people who fit it, still at least MIN_MEMBERS, and fills a group from
    those with the fewest other kinds open to them (then the longest
    waiting), each kept apart from nobody already in it.
    """
    by_id = {p.id: p for p in people}
    fits = {type_: [by_id[pid] for pid in ids] for type_, ids in types.items()}
    kinds_of = {p.id: [] for p in people}
    for type_, members in fits.items():
        for person in members:
            kinds_of[person.id].append(type_)
    free_count = {type_: len(members) for type_, members in fits.items()}
    order = {type_: type_.sort_key() for type_ in fits}
    free = {p.id for p in people}
    groups = []
    while True:
        open_types = [t for t, count in free_count.items() if count >= MIN_MEMBERS]
        if not open_types:
            break
        type_ = min(open_types, key=lambda t: (free_count[t], order[t]))
        pool = sorted(
            (p for p in fits[type_] if p.id in free),
            key=lambda p: (len(kinds_of[p.id]), p.rank),
        )
        chosen = []
        for person in pool:
            if len(chosen) == MAX_MEMBERS:
                break
            if not any(_apart(pairs, person.id, other.id) for other in chosen):
                chosen.append(person)
        if len(chosen) < MIN_MEMBERS:
            del free_count[type_]
            continue
        groups.append(PlannedGroup(type_, tuple(p.id for p in chosen)))
        for person in chosen:
            free.discard(person.id)
            for other_type in kinds_of[person.id]:
                if other_type in free_count:
                    free_count[other_type] -= 1
    return Plan(groups=groups)


def _parameters(deterministic_time, workers, people):
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = SEED
    solver.parameters.num_workers = workers
    # With more than one worker, interleaving keeps the search deterministic.
    solver.parameters.interleave_search = workers > 1
    solver.parameters.max_deterministic_time = deterministic_time
    # The time targets hold on a busy machine too: past this, the
    # best solution found so far is taken (then not necessarily the same
    # from run to run; on a machine with time to spare the deterministic
    # limit comes first).
    solver.parameters.max_time_in_seconds = max(WALL_AT_LEAST, WALL_PER_PERSON * people)
    return solver


def _stage_one(people, pairs, types, nogoods, hint, *, budget):
    """{GroupType: [person ids]}: who goes in which kind of group, as many as possible."""
    model = cp_model.CpModel()
    type_list = sorted(types, key=GroupType.sort_key)
    hinted = {(pid, group.type) for group in hint.groups for pid in group.members}
    chosen = {}  # (person id, type index) -> BoolVar
    for index, type_ in enumerate(type_list):
        members = types[type_]
        used = model.new_bool_var(f"used{index}")
        model.add_hint(used, any((pid, type_) in hinted for pid in members))
        for pid in members:
            chosen[pid, index] = var = model.new_bool_var(f"y{pid}_{index}")
            model.add_hint(var, (pid, type_) in hinted)
            # Redundant, but a much tighter relaxation than the size bound alone.
            model.add_implication(var, used)
        size = sum(chosen[pid, index] for pid in members)
        model.add(size >= MIN_MEMBERS * used)
        inside = [(a, b) for a, b in pairs if (a, index) in chosen and (b, index) in chosen]
        if inside:
            two = model.new_bool_var(f"two{index}")
            hinted_size = sum(1 for pid in members if (pid, type_) in hinted)
            model.add_hint(two, hinted_size > MAX_MEMBERS)
            model.add(size >= (MAX_MEMBERS + 1) * two)
            model.add(size <= MAX_MEMBERS + len(members) * two)
            for a, b in inside:
                model.add(chosen[a, index] + chosen[b, index] <= 1 + two)
        for key, ids in nogoods:
            if key == type_ and all((pid, index) in chosen for pid in ids):
                model.add(sum(chosen[pid, index] for pid in ids) <= len(ids) - 1)
    per_person = {}
    for (pid, _index), var in chosen.items():
        per_person.setdefault(pid, []).append(var)
    for variables in per_person.values():
        model.add_at_most_one(variables)
    model.maximize(sum(chosen.values()))
    solver = _parameters(budget, workers=2, people=len(per_person))
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Out of time before a first solution: the hint is the best one known.
        result = {}
        for group in hint.groups:
            result.setdefault(group.type, []).extend(group.members)
        return result
    result = {}
    for (pid, index), var in chosen.items():
        if solver.boolean_value(var):
            result.setdefault(type_list[index], []).append(pid)
    return result


def _longest_waiting_first(assigned, people, pairs):
    """Swap in a longer-waiting person left out for a newer one of the same kind of group.

    The solver counts heads; among plans with as many placed, this prefers
    those who waited longest: whenever someone left out fits a kind of
    group that holds someone newer, and nobody in it is kept apart from
    them (when it makes a single group), they change places. Repeated until
    no swap is left; every swap keeps the sizes and the rules.
    """
    by_id = {p.id: p for p in people}
    placed = {pid for ids in assigned.values() for pid in ids}
    changed = True
    while changed:
        changed = False
        for person in sorted(people, key=lambda p: p.rank):
            if person.id in placed:
                continue
            for type_ in sorted(assigned, key=GroupType.sort_key):
                ids = assigned[type_]
                if not type_.fits(person):
                    continue
                newest = max(ids, key=lambda pid: by_id[pid].rank)
                if by_id[newest].rank < person.rank:
                    continue
                rest = [pid for pid in ids if pid != newest]
                if len(rest) < MAX_MEMBERS and any(_apart(pairs, person.id, o) for o in rest):
                    continue
                assigned[type_] = [*rest, person.id]
                placed = (placed - {newest}) | {person.id}
                changed = True
                break
    return assigned


def _blocks(members):
    """`members` (Persons) split by age into blocks of at most BLOCK_SIZE, each MIN_MEMBERS+."""
    members = sorted(members, key=lambda p: (p.age, p.rank))
    count = math.ceil(len(members) / BLOCK_SIZE)
    blocks, start = [], 0
    for index in range(count):
        size = len(members) // count + (1 if index < len(members) % count else 0)
        blocks.append(members[start : start + size])
        start += size
    return blocks


def _chunks(block, pairs):
    """`block` (sorted by age) cut into runs of balanced sizes, keep-apart pairs moved apart.

    Stage 2's hint, and its answer when the solver finds nothing in time: a
    person kept apart from someone in their run changes places with someone
    of another run where neither meets anyone they are kept apart from, or
    is left out when nobody can.
    """
    count = math.ceil(len(block) / MAX_MEMBERS)
    chunks, start = [], 0
    for index in range(count):
        size = len(block) // count + (1 if index < len(block) % count else 0)
        chunks.append([p.id for p in block[start : start + size]])
        start += size

    def clashes(pid, chunk):
        return any(_apart(pairs, pid, other) for other in chunk if other != pid)

    for chunk in chunks:
        for pid in list(chunk):
            if pid not in chunk or not clashes(pid, chunk):
                continue
            swap = next(
                (
                    (other_chunk, other)
                    for other_chunk in chunks
                    if other_chunk is not chunk
                    for other in other_chunk
                    if not clashes(pid, [o for o in other_chunk if o != other])
                    and not clashes(other, [c for c in chunk if c != pid])
                ),
                None,
            )
            if swap is None:
                chunk.remove(pid)
            else:
                other_chunk, other = swap
                chunk[chunk.index(pid)] = other
                other_chunk[other_chunk.index(other)] = pid
    return [chunk for chunk in chunks if len(chunk) >= MIN_MEMBERS]


def _add_block(model, number, block, pairs, objective):
    """Stage 2's variables and preferences for one block; returns {(person id, g): var}."""
    # Enough groups for everyone, and one more for keep-apart pairs and sizes of 6-8.
    needed = math.ceil(len(block) / MAX_MEMBERS)
    groups = min(len(block) // MIN_MEMBERS, needed + 1)
    name = f"b{number}_"
    x = {(p.id, g): model.new_bool_var(f"{name}x{p.id}_{g}") for p in block for g in range(groups)}
    for g, chunk in enumerate(_chunks(block, pairs)):
        for pid in chunk:
            model.add_hint(x[pid, g], 1)
    youngest = min(p.age for p in block)
    oldest = max(p.age for p in block)
    rank_order = {p.id: i for i, p in enumerate(sorted(block, key=lambda p: p.rank))}
    for person in block:
        model.add_at_most_one(x[person.id, g] for g in range(groups))
        # Placing someone outweighs everything; then the longest waiting.
        weight = 1_000_000 + 1_000 * (len(block) - rank_order[person.id])
        objective += [weight * x[person.id, g] for g in range(groups)]
    used = [model.new_bool_var(f"{name}used{g}") for g in range(groups)]
    for g in range(groups):
        size = sum(x[p.id, g] for p in block)
        model.add(size >= MIN_MEMBERS * used[g])
        model.add(size <= MAX_MEMBERS * used[g])
        if g:
            model.add(used[g] <= used[g - 1])
        for a, b in pairs:
            model.add(x[a, g] + x[b, g] <= 1)
        low = model.new_int_var(youngest, oldest, f"{name}low{g}")
        high = model.new_int_var(youngest, oldest, f"{name}high{g}")
        for person in block:
            model.add(low <= person.age).only_enforce_if(x[person.id, g])
            model.add(high >= person.age).only_enforce_if(x[person.id, g])
        excess = model.new_int_var(0, oldest - youngest, f"{name}excess{g}")
        model.add(excess >= high - low - MAX_AGE_SPREAD)
        objective.append(-500 * excess)
        for counted in (1, 2):
            mixed = model.new_bool_var(f"{name}mix{counted}_{g}")
            for gender in (Intake.Gender.WOMAN, Intake.Gender.MAN):
                model.add(
                    sum(x[p.id, g] for p in block if p.gender == gender) >= counted
                ).only_enforce_if(mixed)
            objective.append(200 * mixed)
        small = model.new_bool_var(f"{name}small{g}")
        model.add(size >= PREFERRED_MIN_SIZE).only_enforce_if(used[g], ~small)
        objective.append(-100 * small)
    return x, groups


def _stage_two(blocks, *, budget):
    """[[[person ids]]]: each (block, pairs) divided into groups, in one model.

    People are left out only when forced (keep-apart pairs); then the age
    spread, the mix of women and men and sizes of 6-8 are preferred.
    """
    model = cp_model.CpModel()
    objective = []
    variables = [
        _add_block(model, number, block, pairs, objective)
        for number, (block, pairs) in enumerate(blocks)
    ]
    model.maximize(sum(objective))
    solver = _parameters(budget, workers=2, people=sum(len(block) for block, _p in blocks))
    # Many small independent parts: presolving them costs more than it gains.
    solver.parameters.cp_model_presolve = False
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [_chunks(block, pairs) for block, pairs in blocks]
    result = []
    for (block, _pairs), (x, groups) in zip(blocks, variables, strict=True):
        found = []
        for g in range(groups):
            members = [p.id for p in block if solver.boolean_value(x[p.id, g])]
            if members:
                found.append(members)
        result.append(found)
    return result


def solve(people, pairs=frozenset(), *, digital=False, nogoods=()):
    """The Plan for `people` (Persons): as many placed as the rules allow, then the preferences.

    `pairs` are {(smaller id, larger id)} kept apart; `digital` whether the
    centre runs digital groups; `nogoods` [(GroupType, [ids])] combinations
    staff discarded: never all of them in that kind of group again.
    """
    started = time.monotonic()
    people = sorted(people, key=lambda p: p.rank)
    by_id = {p.id: p for p in people}
    pairs = {(min(a, b), max(a, b)) for a, b in pairs if a in by_id and b in by_id}
    baseline = greedy(people, pairs, digital=digital)
    types = group_types(people, digital=digital)
    budget = max(DETERMINISTIC_AT_LEAST, DETERMINISTIC_PER_PERSON * len(people))
    start = scarce_first(people, pairs, types)
    if len(start.placed) < len(baseline.placed) or _breaks_nogood(start, nogoods):
        start = baseline
    assigned = _stage_one(people, pairs, types, nogoods, start, budget=budget)
    assigned = _longest_waiting_first(assigned, people, pairs)
    blocks = []
    for type_, ids in sorted(assigned.items(), key=lambda item: item[0].sort_key()):
        for block in _blocks([by_id[pid] for pid in ids]):
            inside = {p.id for p in block}
            blocks.append((type_, block, {(a, b) for a, b in pairs if a in inside and b in inside}))
    plan = Plan(greedy_placed=len(baseline.placed))
    divided = _stage_two([(block, inside) for _t, block, inside in blocks], budget=budget / 2)
    for (type_, _block, _inside), groups in zip(blocks, divided, strict=True):
        for members in groups:
            members = sorted(members, key=lambda pid: by_id[pid].rank)
            plan.groups.append(PlannedGroup(type_, tuple(members)))
    if len(plan.placed) < len(baseline.placed) and not _breaks_nogood(baseline, nogoods):
        plan = Plan(groups=baseline.groups, used_greedy=True, greedy_placed=plan.greedy_placed)
    plan.groups.sort(key=lambda group: (group.type.sort_key(), by_id[group.members[0]].rank))
    plan.seconds = time.monotonic() - started
    return plan


def _breaks_nogood(plan, nogoods):
    return any(
        group.type == key and set(ids) <= set(group.members)
        for group in plan.groups
        for key, ids in nogoods
    )
