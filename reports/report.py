"""A whole report: the tables of a period for a centre or the whole country.

`make_report(...)` is what the admin page, the exports and the `report`
command call. `suppressed` decides whether small numbers are withheld
(suppression.suppress); the admin page's access rules decide when it may be
False (reports.access.scope_for).
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from . import figures, suppression, tables


@dataclass
class Report:
    period: object
    previous: object
    centre: object  # a Centre, or None for the whole country
    suppressed: bool
    tables: list
    made_at: object

    @property
    def scope_label(self):
        return self.centre.name if self.centre is not None else _("The whole country")

    @property
    def scope_slug(self):
        return self.centre.slug if self.centre is not None else "hele-landet"

    def table(self, key):
        return next((table for table in self.tables if table.key == key), None)

    def file_name(self, extension, table=None):
        parts = ["rapport", self.scope_slug, self.period.code.replace("..", "_")]
        if table is not None:
            parts.append(table.key.replace("_", "-"))
        return "-".join(parts) + f".{extension}"


def make_report(*, period, centre=None, compare=False, suppressed=True, now=None):
    """The report of `period` for `centre` (None: the whole country).

    With `compare` every table also has the same period a year before.
    With `suppressed` (the default) small numbers are withheld as the
    suppression module says: anything leaving the centre's own staff must be.
    """
    now = now or timezone.now()
    centres = [centre] if centre is not None else None
    current = figures.compute(period=period, centres=centres, now=now)
    previous = None
    if compare:
        previous = figures.compute(period=period.year_before(), centres=centres, now=now)
    report_tables = tables.build(current, previous)
    if suppressed:
        suppression.suppress(report_tables)
    return Report(
        period=period,
        previous=previous.period if previous else None,
        centre=centre,
        suppressed=suppressed,
        tables=report_tables,
        made_at=now,
    )
