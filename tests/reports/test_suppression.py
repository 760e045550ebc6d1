"""Small numbers withheld: the rule on examples, and a property test over many tables.

The property test builds random populations (tables whose columns add up to
one shared total), suppresses them, and checks with its own exhaustive
search, independent of the module's interval reasoning, that no withheld
cell has only one possible value given everything shown.
"""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports import suppression
from reports.tables import COUNT, HIDDEN, SHARE, SHOWN, UNDER_5, Cell, Row, Table, lines

MAX = 60


def table(key, counts, total_key="forms", title="t"):
    rows = [Row(str(i), [Cell(n)]) for i, n in enumerate(counts)]
    rows.append(Row("Total", [Cell(sum(counts), key=total_key)], is_total=True))
    return Table(key, title, ["n"], rows)


def states(t):
    return [row.cells[0].state for row in t.rows]


def test_counts_from_1_to_4_are_under_5_and_zero_is_shown():
    t = table("a", [0, 3, 9, 12])
    suppression.suppress([t])
    assert states(t)[:2] == [SHOWN, UNDER_5]


def test_a_lone_small_cell_gets_a_second_one_hidden():
    t = table("a", [3, 9, 12])
    suppression.suppress([t])
    # 24 - 12 would give the 3 back: the smallest other cell goes too.
    assert states(t) == [UNDER_5, HIDDEN, SHOWN, SHOWN]


def test_two_small_cells_that_only_add_up_one_way_are_protected():
    # Two "under 5" adding up to 2 can only be 1 and 1.
    t = table("a", [1, 1, 20])
    suppression.suppress([t])
    assert states(t)[2] == HIDDEN


def test_a_total_that_would_give_everything_away_is_hidden_in_every_table_of_its_population():
    # 1 + 5 = 6: knowing "hidden" means 5 or more, the 1 would follow.
    first = table("a", [1, 5])
    second = table("b", [6, 0])
    summary = Table("s", "s", ["n"], [Row("forms", [Cell(6, key="forms")])])
    suppression.suppress([first, second, summary])
    assert first.total.cells[0].state == HIDDEN
    assert second.total.cells[0].state == HIDDEN
    assert second.rows[0].cells[0].state == HIDDEN
    assert summary.rows[0].cells[0].state == HIDDEN


def test_shares_of_few_people_or_counting_few_are_hidden():
    cells = [
        Cell(0.5, SHARE, base=4, part=2),
        Cell(0.5, SHARE, base=10, part=5),
        Cell(0.9, SHARE, base=10, part=9),  # leaves out 1
        Cell(0.1, SHARE, base=10, part=1),
        Cell(0.0, SHARE, base=10, part=0),
    ]
    suppression.suppress([Table("x", "x", ["v"], [Row(str(i), [c]) for i, c in enumerate(cells)])])
    assert [c.state for c in cells] == [HIDDEN, SHOWN, HIDDEN, HIDDEN, SHOWN]


def test_a_share_of_withheld_counts_is_hidden():
    part, rest = Cell(7), Cell(3)
    share = Cell(0.7, SHARE, base=10, part=7, sources=[part, rest])
    suppression.suppress(
        [Table("x", "x", ["v"], [Row("a", [part]), Row("b", [rest]), Row("c", [share])])]
    )
    assert rest.state == UNDER_5 and share.state == HIDDEN


# --- The property test ------------------------------------------------------------


def _domain(cell):
    if cell.state == SHOWN:
        return [cell.value]
    if cell.state == UNDER_5:
        return [1, 2, 3, 4]
    return list(range(5, MAX + 1))


def _reachable(cells):
    """Every sum the cells can make, each cell taking any value a reader allows it."""
    sums = {0}
    for cell in cells:
        sums = {s + v for s in sums for v in _domain(cell) if s + v <= MAX}
    return sums


def _possible_values(target, population):
    """Brute force: the values `target` can take with every line adding up to one total."""
    totals = set(_domain(population[0][1]))
    for parts, _total in population:
        totals &= _reachable(parts)
    values = set()
    for total in totals:
        for parts, _total in population:
            if target in parts:
                others = [cell for cell in parts if cell is not target]
                rest = _reachable(others)
                values |= {v for v in _domain(target) if total - v in rest}
    return values


def _withheld_everywhere(population):
    return all(
        cell.state != SHOWN or cell.value == 0 for parts, t in population for cell in [*parts, t]
    )


@st.composite
def populations(draw):
    total = draw(st.integers(min_value=0, max_value=30))
    line_count = draw(st.integers(min_value=1, max_value=3))
    tables = []
    for index in range(line_count):
        width = draw(st.integers(min_value=1, max_value=5))
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=width - 1, max_size=width - 1)))
        counts = [b - a for a, b in itertools.pairwise([0, *cuts, total])]
        tables.append(table(f"t{index}", counts))
    return tables


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_no_table_shows_a_count_from_1_to_4_and_no_withheld_cell_can_be_worked_out(tables):
    suppression.suppress(tables)
    cells = [cell for t in tables for cell in t.cells()]
    assert not [c for c in cells if c.kind == COUNT and c.shown and 1 <= c.value <= 4]
    population = [pair for t in tables for pair in lines(t)]
    if _withheld_everywhere(population) and not any(c.shown and c.value for c in cells):
        return  # the whole population withheld: nothing to work out from
    for parts, total in population:
        for cell in [*parts, total]:
            if not cell.shown:
                assert cell.value in _possible_values(cell, population) or cell is total
                if cell is not total:
                    assert len(_possible_values(cell, population)) >= 2, (
                        [[(c.value, c.state) for c in p] for p, _t in population],
                        (total.value, total.state),
                    )
