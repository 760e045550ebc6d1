"""Report periods: a year, a quarter, a month or two dates, as people write them.

`parse("2026")`, `parse("2026-Q2")`, `parse("2026-03")` and
`parse("2026-01-01..2026-06-30")` each give a Period (first and last day
inclusive, a label). `Period.year_before()` is the same stretch of days one
year earlier, used for "compare with the year before".
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# A custom period longer than this is refused: the figures would be less
# useful than those of the years, and it bounds the holidays a query carries.
MAX_DAYS = 3 * 366
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100

MONTH_NAMES = [
    gettext_lazy("January"),
    gettext_lazy("February"),
    gettext_lazy("March"),
    gettext_lazy("April"),
    gettext_lazy("May"),
    gettext_lazy("June"),
    gettext_lazy("July"),
    gettext_lazy("August"),
    gettext_lazy("September"),
    gettext_lazy("October"),
    gettext_lazy("November"),
    gettext_lazy("December"),
]


class PeriodError(ValueError):
    """A period that cannot be read; the message is shown to the user as is."""


@dataclass(frozen=True)
class Period:
    """Days `start` to `end`, both included. `kind` is year, quarter, month or range."""

    start: datetime.date
    end: datetime.date
    kind: str

    @property
    def code(self):
        """The period written as `parse` reads it (2026, 2026-Q2, 2026-03, a..b)."""
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self):
        """The period in words, in the active language: "2026", "2. kvartal 2026"..."""
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "quarter":
            return _("Quarter %(quarter)s %(year)s") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        if self.kind == "month":
            return f"{MONTH_NAMES[self.start.month - 1]} {self.start.year}"
        return _("%(start)s to %(end)s") % {
            "start": formats.date_format(self.start, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(self.end, "SHORT_DATE_FORMAT"),
        }

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def months(self):
        """The first day of every month the period touches, in order."""
        months = []
        month = self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = _add_months(month, 1)
        return months

    def year_before(self):
        """The same days one year earlier (29 February becomes the 28th)."""
        start = _year_earlier(self.start)
        end = _year_earlier(self.end)
        if self.kind in ("year", "quarter", "month"):
            # Whole months stay whole: February 2025 ends on the 28th.
            end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
        return Period(start, end, self.kind)

    def __str__(self):
        return self.code


def _add_months(date, months):
    month = date.month - 1 + months
    return date.replace(year=date.year + month // 12, month=month % 12 + 1, day=1)


def _year_earlier(date):
    try:
        return date.replace(year=date.year - 1)
    except ValueError:  # 29 February
        return date.replace(year=date.year - 1, day=28)


def _year(text):
    year = int(text)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise PeriodError(
            _("The year must be between %(first)s and %(last)s.")
            % {"first": EARLIEST_YEAR, "last": LATEST_YEAR}
        )
    return year


def _date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise PeriodError(
            _("“%(date)s” is not a date. Write dates as 2026-01-31.") % {"date": text}
        ) from None


def year(value):
    value = _year(value) if isinstance(value, str) else value
    return Period(datetime.date(value, 1, 1), datetime.date(value, 12, 31), "year")


def quarter(year_, number):
    if not 1 <= number <= 4:
        raise PeriodError(_("A quarter is numbered 1 to 4."))
    start = datetime.date(year_, 3 * number - 2, 1)
    return Period(start, _add_months(start, 3) - datetime.timedelta(days=1), "quarter")


def month(year_, number):
    if not 1 <= number <= 12:
        raise PeriodError(_("A month is numbered 1 to 12."))
    start = datetime.date(year_, number, 1)
    return Period(start, _add_months(start, 1) - datetime.timedelta(days=1), "month")


def between(start, end):
    if end < start:
        raise PeriodError(_("The period ends before it starts."))
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(_("A period can be at most three years long."))
    for day in (start, end):
        _year(str(day.year))
    return Period(start, end, "range")


PATTERNS = [
    (re.compile(r"^(\d{4})$"), lambda m: year(m[1])),
    (re.compile(r"^(\d{4})-[Qq]([0-9])$"), lambda m: quarter(_year(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), lambda m: month(_year(m[1]), int(m[2]))),
    (re.compile(r"^(\S+)\s*\.\.\s*(\S+)$"), lambda m: between(_date(m[1]), _date(m[2]))),
]


def parse(text):
    """The Period written as `2026`, `2026-Q2`, `2026-03` or `2026-01-01..2026-06-30`.

    Raises PeriodError with a Norwegian message for anything else.
    """
    text = (text or "").strip()
    for pattern, build in PATTERNS:
        match = pattern.match(text)
        if match:
            return build(match)
    raise PeriodError(
        _(
            "“%(text)s” is not a period. Write a year (2026), a quarter (2026-Q2), "
            "a month (2026-03) or two dates (2026-01-01..2026-06-30)."
        )
        % {"text": text}
    )
