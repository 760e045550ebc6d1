"""Small numbers are protected in everything shared beyond a centre's own staff.

The rule (issue 17), applied by `suppress(tables)`:

1. Primary: a count from 1 to 4 is shown as "under 5". Zero is shown: it
   points to nobody.
2. Derived figures: a median or a share worked out from fewer than 5 people
   is not shown; nor is a share that counts, or leaves out, 1 to 4 of them,
   since share and base together would give that count; nor one worked out
   from a count that is withheld.
3. Secondary: wherever the parts of a sum are shown with their total (a
   total row, a row of members who stayed and left), no withheld cell may be
   worked out from the others, also knowing that "under 5" means 1 to 4
   and a cell "hidden" here means 5 or more (zeros are never hidden). Until
   that holds the smallest shown part of the sum is hidden too. A total that
   can only be protected by hiding it is hidden with every non-zero part in
   every table of that population (forms, participants...), since the same
   total appears in several tables. Should even that not do, the whole
   population is withheld, zeros too.
4. A count that stands for a population (`Cell.key`) is shown or withheld
   alike wherever it appears.

The check in 3 is exact for the tables the report makes, where each sum's
parts are cells of their own and the sums of one population share nothing
but their total: knowing the total's range, each line limits each of its
cells to an interval, and a cell is safe when that interval holds at least
two values. The property test (tests/reports/test_suppression.py) proves it
against an independent search over every possible value.
"""

import math

from .tables import COUNT, DAYS, HIDDEN, SHARE, SHOWN, UNDER_5, lines, period_blocks

SMALLEST_SHOWN = 5
INFINITY = math.inf


def suppress(tables):
    """Withhold, in place, every figure of `tables` the rule above forbids. Returns them."""
    cells = [cell for table in tables for cell in table.cells()]
    for cell in cells:
        if cell.kind == COUNT and cell.value and 1 <= cell.value < SMALLEST_SHOWN:
            cell.state = UNDER_5
    populations = _populations(tables)
    withheld = set()
    changed = True
    while changed:
        changed = _link_rows(tables)
        changed |= _same_key_alike(cells)
        for key, population in populations.items():
            if key not in withheld:
                outcome = _protect(population)
                if outcome == "withheld":
                    withheld.add(key)
                changed |= outcome is not None
    for cell in cells:
        if cell.kind in (SHARE, DAYS) and not _derived_may_show(cell):
            cell.state = HIDDEN
    return tables


def is_protected(population):
    """True when no withheld cell of the population's lines can be worked out."""
    return _unprotected_line(population) is None


def _populations(tables):
    """The lines of every table, grouped by the population their totals count."""
    populations = {}
    for table in tables:
        for parts, total in lines(table):
            key = total.key or f"line-{id(total)}"
            populations.setdefault(key, []).append((parts, total))
    return populations


def _bounds(cell):
    """What a reader knows of a cell: its value, 1 to 4, or 5 and more."""
    if cell.state == SHOWN:
        return cell.value, cell.value
    if cell.state == UNDER_5:
        return 1, SMALLEST_SHOWN - 1
    return SMALLEST_SHOWN, INFINITY


def _unprotected_line(population):
    """The index of a line with a cell a reader could work out, or None.

    -1 stands for the population's total itself (withheld, yet pinned down).
    """
    total_low, total_high = _bounds(population[0][1])
    for parts, _total in population:
        total_low = max(total_low, sum(_bounds(cell)[0] for cell in parts))
        total_high = min(total_high, sum(_bounds(cell)[1] for cell in parts))
    if not population[0][1].shown and total_high - total_low < 1:
        return -1
    for index, (parts, _total) in enumerate(population):
        for cell in parts:
            if cell.shown:
                continue
            others = [other for other in parts if other is not cell]
            low, high = _bounds(cell)
            low = max(low, total_low - sum(_bounds(other)[1] for other in others))
            high = min(high, total_high - sum(_bounds(other)[0] for other in others))
            if high - low < 1:
                return index
    return None


def _protect(population):
    """Hide what the population's sums need; None when nothing changed."""
    changed = None
    while True:
        index = _unprotected_line(population)
        if index is None:
            return changed
        total = population[0][1]
        if index >= 0 and total.shown:
            candidates = [cell for cell in population[index][0] if cell.shown and cell.value]
            if candidates:
                min(candidates, key=lambda cell: cell.value).state = HIDDEN
                changed = "secondary"
                continue
        if changed != "blocked":
            for parts, line_total in population:
                for cell in [*parts, line_total]:
                    if cell.shown and cell.value:
                        cell.state = HIDDEN
            changed = "blocked"
            continue
        for parts, line_total in population:
            for cell in [*parts, line_total]:
                if cell.state != UNDER_5:
                    cell.state = HIDDEN
        return "withheld"


def _same_key_alike(cells):
    """A population's total is withheld wherever it appears once it is withheld anywhere."""
    withheld = {cell.key: cell.state for cell in cells if cell.key and not cell.shown}
    changed = False
    for cell in cells:
        if cell.key in withheld and cell.shown:
            cell.state = withheld[cell.key]
            changed = True
    return changed


def _link_rows(tables):
    """In tables of linked rows, a row's counts are withheld together (groups and members)."""
    changed = False
    for table in tables:
        if not table.linked_rows:
            continue
        for row in table.rows:
            for block in period_blocks(table):
                counts = [row.cells[i] for i in block if row.cells[i].kind == COUNT]
                if any(not cell.shown for cell in counts):
                    for cell in counts:
                        if cell.shown and cell.value:
                            cell.state = HIDDEN
                            changed = True
    return changed


def _derived_may_show(cell):
    if cell.value is None or cell.base is None or cell.base < SMALLEST_SHOWN:
        return False
    if any(not source.shown for source in cell.sources):
        return False
    if cell.kind == SHARE:
        for count in (cell.part, cell.base - cell.part):
            if 1 <= count < SMALLEST_SHOWN:
                return False
    return True
