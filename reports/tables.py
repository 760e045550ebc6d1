"""The report as tables: what the page, the charts and every export show.

`build(figures, previous=None)` turns Figures (and, to compare, those of the
year before) into a list of Table. Cells keep their exact value; the
suppression module decides which are shown (suppression.suppress). Labels
are translated when the tables are built, so build inside the language the
reader wants.
"""

from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from groups.models import Group
from intake.models import Intake

from . import figures as f
from .periods import MONTH_NAMES

COUNT = "count"
SHARE = "share"
DAYS = "days"

SHOWN = "shown"
UNDER_5 = "under_5"
HIDDEN = "hidden"


@dataclass
class Cell:
    """One number of a table.

    `key` names the population a count totals (forms, participants...): the
    same key in several tables is the same number, shown or hidden alike.
    A derived figure (share, days) records how many people it comes from
    (`base`) and, for a share, how many it counts (`part`).
    """

    value: object
    kind: str = COUNT
    key: str = ""
    base: int | None = None
    part: int | None = None
    state: str = SHOWN
    # The counts a share is worked out from: withheld with any of them.
    sources: list = field(default_factory=list, repr=False)

    @property
    def shown(self):
        return self.state == SHOWN

    def text(self):
        """The cell as the page shows it, in the active language."""
        if self.state == UNDER_5:
            return _("under 5")
        if self.state == HIDDEN or self.value is None:
            return _("hidden") if self.state == HIDDEN else "–"
        if self.kind == SHARE:
            return f"{formats.number_format(self.value * 100, 0)} %"
        if self.kind == DAYS:
            return formats.number_format(self.value, 1)
        return formats.number_format(self.value, 0, force_grouping=True)

    def export(self):
        """The cell in an export: a number, or a word where it is withheld."""
        if self.state == UNDER_5:
            return _("under 5")
        if self.state == HIDDEN:
            return _("hidden")
        if self.value is None:
            return ""
        if self.kind == SHARE:
            return round(self.value * 100, 1)
        if self.kind == DAYS:
            return round(self.value, 1)
        return self.value

    def chart_value(self):
        """The value a chart may draw: None where it is withheld or missing."""
        if not self.shown or self.value is None:
            return None
        return self.value * 100 if self.kind == SHARE else self.value


@dataclass
class Row:
    label: str
    cells: list
    is_total: bool = False


@dataclass
class Chart:
    """What to draw of a table: `kind` "bar" or "hbar", the columns to draw as series."""

    kind: str
    columns: list
    unit: str = ""
    # Names of the series in the legend; the column names when not given.
    series: list = field(default_factory=list)


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list
    note: str = ""
    chart: Chart | None = None
    # Rows whose counts go together (groups and their members): when one is
    # withheld, so are the others.
    linked_rows: bool = False
    # Sums inside the table besides its total row: ((row, column) of the
    # total, [(row, column) of its parts]), in the layout of one period.
    sums: list = field(default_factory=list)
    # How many columns one period has; a comparison adds as many again.
    period_width: int = 0
    comparison_columns: list = field(default_factory=list)

    def __post_init__(self):
        self.period_width = self.period_width or len(self.columns)

    @property
    def body(self):
        return [row for row in self.rows if not row.is_total]

    @property
    def total(self):
        return next((row for row in self.rows if row.is_total), None)

    def cells(self):
        return [cell for row in self.rows for cell in row.cells]


def _count(value, key=""):
    return Cell(value, COUNT, key=key)


def _share(part, base, sources=()):
    return Cell(part / base if base else None, SHARE, base=base, part=part, sources=list(sources))


def _share_of(part_cell, *base_cells):
    """A share of counts shown in the same table, withheld with any of them."""
    base = sum(cell.value for cell in base_cells)
    return _share(part_cell.value, base, [part_cell, *base_cells])


def _days(value, base):
    return Cell(value, DAYS, base=base)


def _total_row(counts_by_column, keys):
    return Row(
        _("Total"),
        [_count(sum(column), key) for column, key in zip(counts_by_column, keys, strict=True)],
        is_total=True,
    )


def _one_column_table(key, title, items, total_key, *, note="", chart=None):
    """A table of (label, count) rows with a total row that counts `total_key`."""
    rows = [Row(label, [_count(count)]) for label, count in items]
    rows.append(_total_row([[count for _label, count in items]], [total_key]))
    return Table(key, title, [_("Number")], rows, note=note, chart=chart)


def _month_label(month, period):
    name = str(MONTH_NAMES[month.month - 1])
    if period.start.year == period.end.year:
        return name
    return f"{name} {month.year}"


CHANNEL_LABELS = {
    f.CHANNEL_WEB: lambda: _("Web form"),
    f.CHANNEL_PHONE: lambda: _("Registered by staff after a phone call"),
}
OUTCOME_LABELS = {
    f.OUTCOME_PLACED: lambda: _("Placed in a group"),
    f.OUTCOME_WITHDRAWN: lambda: _("Withdrew"),
    f.OUTCOME_CLOSED: lambda: _("Not suited or closed"),
    f.OUTCOME_WAITING: lambda: _("Still waiting"),
}
HOLDING_LABELS = {
    "week_4": lambda: _("At week 4"),
    "week_12": lambda: _("At week 12"),
    "month_6": lambda: _("At 6 months"),
}
GENDER_LABELS = {
    Intake.Gender.WOMAN: lambda: _("Women"),
    Intake.Gender.MAN: lambda: _("Men"),
    Intake.Gender.OTHER: lambda: _("Other"),
    "": lambda: _("Not given"),
}


def _tables(figures):
    """The tables of one period, unsuppressed, in the order the page shows them."""
    period = figures.period
    tables = [
        Table(
            "summary",
            _("Key figures"),
            [_("Number")],
            [
                Row(_("Interest forms received"), [_count(figures.forms_total, "forms")]),
                Row(
                    _("People who started in a group"),
                    [_count(figures.started_people, "started_people")],
                ),
                Row(_("Groups started"), [_count(_groups_total(figures), "groups")]),
                Row(_("Participants in groups"), [_count(figures.participants, "participants")]),
            ],
        ),
        _one_column_table(
            "forms_by_month",
            _("Interest forms received, by month"),
            [(_month_label(m, period), n) for m, n in figures.forms_by_month.items()],
            "forms",
            chart=Chart("bar", [0]),
        ),
        _one_column_table(
            "forms_by_channel",
            _("Interest forms received, by channel"),
            [
                (CHANNEL_LABELS.get(c, lambda c=c: c)(), n)
                for c, n in figures.forms_by_channel.items()
            ],
            "forms",
            note=_(
                "Until staff can register a person who phoned, every form counts as sent "
                "by the web form."
            ),
        ),
        Table(
            "first_contact",
            _("From interest form to first contact"),
            [_("Value")],
            [
                Row(_("Forms where the person was reached"), [_count(figures.contacted)]),
                Row(
                    _("Median, working days"),
                    [_days(figures.contact_median_days, figures.contacted)],
                ),
                Row(
                    _("Share reached within the centre's promise"),
                    [_share(figures.contact_within, figures.contact_measured)],
                ),
            ],
            note=_(
                "Reached: a call answered, a message left, or the form moved on from "
                "“new”. Working days leave out weekends and public holidays. The share "
                "counts the forms reached, and those still new after the promise ran out."
            ),
        ),
        _one_column_table(
            "outcomes",
            _("What became of the interest forms"),
            [(OUTCOME_LABELS[o](), n) for o, n in figures.outcomes.items()],
            "forms",
            chart=Chart("hbar", [0]),
        ),
        Table(
            "wait",
            _("Wait from the interest form until the group started"),
            [_("Value")],
            [
                Row(
                    _("People who started in a group"),
                    [_count(figures.started_people, "started_people")],
                ),
                Row(_("Median, days"), [_days(figures.wait_median_days, figures.started_people)]),
                Row(
                    _("90th percentile, days"),
                    [_days(figures.wait_p90_days, figures.started_people)],
                ),
            ],
            note=_(
                "For people whose first group began for them in the period: from the day "
                "the form came in to their first meeting."
            ),
        ),
        _groups_table(figures),
        _holding_table(figures),
        _self_run_table(figures),
        _facilitators_table(figures),
        _one_column_table(
            "age_bands",
            _("Participants by age"),
            [
                (_("%(band)s years") % {"band": key.replace("-", "–")}, n)
                for key, n in figures.age_bands.items()
            ],
            "participants",
            note=_("People who were in a group at some time in the period; age in its last year."),
            chart=Chart("bar", [0]),
        ),
        _one_column_table(
            "genders",
            _("Participants by gender"),
            [(GENDER_LABELS[g](), n) for g, n in figures.genders.items()],
            "participants",
            chart=Chart("bar", [0]),
        ),
        Table(
            "themes",
            _("Themes chosen on the interest forms"),
            [_("Forms")],
            [Row(name, [_count(n)]) for name, n in figures.themes],
            note=_("A form may name several themes, so the numbers add up to more than the forms."),
            chart=Chart("hbar", [0]),
        ),
    ]
    if figures.centres is None:
        tables.append(_by_centre_table(figures))
    return tables


def _holding_table(figures):
    rows = []
    for key, _weeks, reached, kept in figures.holding:
        still, left = _count(kept), _count(reached - kept)
        rows.append(
            Row(
                HOLDING_LABELS[key](), [_count(reached), still, left, _share_of(still, still, left)]
            )
        )
    return Table(
        "holding",
        _("How groups hold: members still in their group"),
        [
            _("Members who got this far"),
            _("Still in the group"),
            _("Had left"),
            _("Share still in"),
        ],
        rows,
        note=_(
            "Members who started in the period and have come this far; those "
            "who have not yet are not counted."
        ),
        chart=Chart("bar", [3], unit="%"),
        sums=[((index, 0), [(index, 1), (index, 2)]) for index in range(len(rows))],
    )


def _self_run_table(figures):
    went_on = _count(figures.self_run_went_on)
    stopped = _count(figures.self_run_decided - figures.self_run_went_on)
    return Table(
        "self_run",
        _("Groups that went on by themselves"),
        [_("Value")],
        [
            Row(
                _("Groups started whose facilitators withdrew"),
                [_count(figures.self_run_decided)],
            ),
            Row(
                _("Went on by themselves for %(weeks)s weeks or more") % {"weeks": f.WENT_ON_WEEKS},
                [went_on],
            ),
            Row(_("Stopped sooner"), [stopped]),
            Row(_("Share that went on"), [_share_of(went_on, went_on, stopped)]),
        ],
        note=_(
            "Groups whose facilitators withdrew at least %(weeks)s weeks ago, or that "
            "have ended since."
        )
        % {"weeks": f.WENT_ON_WEEKS},
        sums=[((0, 0), [(1, 0), (2, 0)])],
    )


def _groups_total(figures):
    return sum(groups for _f, _k, groups, _m in figures.groups_started)


def _groups_table(figures):
    formats_ = dict(Group.Format.choices)
    kinds = dict(Group.Kind.choices)
    rows = [
        Row(f"{formats_[fmt]}, {str(kinds[kind]).lower()}", [_count(groups), _count(members)])
        for fmt, kind, groups, members in figures.groups_started
    ]
    rows.append(
        _total_row(
            [
                [groups for _f, _k, groups, _m in figures.groups_started],
                [members for _f, _k, _g, members in figures.groups_started],
            ],
            ["groups", "members_at_start"],
        )
    )
    return Table(
        "groups_started",
        _("Groups started, by format and kind"),
        [_("Groups"), _("Members at the start")],
        rows,
        chart=Chart("hbar", [0]),  # long labels read better across
        linked_rows=True,
    )


def _facilitators_table(figures):
    follow_ups = figures.follow_ups
    on_time, late, missed = (_count(follow_ups[k]) for k in ("on_time", "late", "missed"))
    return Table(
        "facilitators",
        _("Facilitators and follow-ups"),
        [_("Value")],
        [
            Row(_("Facilitators who attended meetings"), [_count(figures.facilitators_attending)]),
            Row(_("Meetings attended by facilitators"), [_count(figures.facilitator_meetings)]),
            Row(_("Follow-ups due in the period"), [_count(follow_ups["due"], "follow_ups")]),
            Row(_("Done on time"), [on_time]),
            Row(_("Done late"), [late]),
            Row(_("Not done, overdue"), [missed]),
            Row(_("Not yet due"), [_count(follow_ups["open"])]),
            Row(_("Share done on time"), [_share_of(on_time, on_time, late, missed)]),
        ],
        sums=[((2, 0), [(3, 0), (4, 0), (5, 0), (6, 0)])],
        note=_(
            "A facilitator attends the first meetings of a group they start; a meeting "
            "counts once for each facilitator there."
        ),
    )


def _by_centre_table(figures):
    rows = [Row(name, [_count(forms), _count(groups)]) for name, forms, groups in figures.by_centre]
    rows.append(
        _total_row(
            [
                [forms for _n, forms, _g in figures.by_centre],
                [g for _n, _f, g in figures.by_centre],
            ],
            ["forms", "groups"],
        )
    )
    return Table(
        "by_centre",
        _("By centre"),
        [_("Interest forms"), _("Groups started")],
        rows,
    )


def lines(table):
    """The sums a reader can check in `table`: (part cells, total cell) pairs.

    A total row sums each column above it; `table.sums` names the others.
    With a comparison each sum is there for both periods.
    """
    found = []
    if table.total is not None:
        for index, total in enumerate(table.total.cells):
            if total.kind == COUNT:
                found.append(([row.cells[index] for row in table.body], total))
    width = table.period_width
    for offset in range(0, len(table.columns), width):
        for (total_row, total_column), parts in table.sums:
            found.append(
                (
                    [table.rows[r].cells[c + offset] for r, c in parts],
                    table.rows[total_row].cells[total_column + offset],
                )
            )
    return found


def period_blocks(table):
    """The column indexes of each period's cells: one block, or two with a comparison."""
    width = table.period_width
    return [list(range(o, o + width)) for o in range(0, len(table.columns), width)]


def build(figures, previous=None):
    """The report's tables for `figures`; with `previous`, each gets the year before beside it."""
    tables = _tables(figures)
    if previous is None:
        return tables
    before = {table.key: table for table in _tables(previous)}
    now_label, before_label = str(figures.period.label), str(previous.period.label)
    for table in tables:
        other = before.get(table.key)
        if other is None or len(other.rows) != len(table.rows):
            continue  # themes may differ in number; such a table stands alone
        width = len(table.columns)
        table.comparison_columns = list(range(width, 2 * width))
        table.columns = [f"{c} ({now_label})" for c in table.columns] + [
            f"{c} ({before_label})" for c in other.columns
        ]
        for row, old in zip(table.rows, other.rows, strict=True):
            for cell in old.cells:
                if cell.key:
                    cell.key = f"{cell.key}@previous"
            row.cells = row.cells + old.cells
        if table.chart is not None:
            table.chart.columns = table.chart.columns + [c + width for c in table.chart.columns]
            table.chart.series = [now_label] * (len(table.chart.columns) // 2) + [before_label] * (
                len(table.chart.columns) // 2
            )
    return tables
