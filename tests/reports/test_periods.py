import datetime

import pytest
from django.utils import translation

from reports import periods

D = datetime.date


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2026", D(2026, 1, 1), D(2026, 12, 31), "year"),
        ("2026-Q2", D(2026, 4, 1), D(2026, 6, 30), "quarter"),
        ("2026-q4", D(2026, 10, 1), D(2026, 12, 31), "quarter"),
        ("2026-03", D(2026, 3, 1), D(2026, 3, 31), "month"),
        ("2028-02", D(2028, 2, 1), D(2028, 2, 29), "month"),
        ("2026-01-01..2026-06-30", D(2026, 1, 1), D(2026, 6, 30), "range"),
        (" 2026-01-15 .. 2026-01-15 ", D(2026, 1, 15), D(2026, 1, 15), "range"),
    ],
)
def test_reads_the_four_ways_of_writing_a_period(text, start, end, kind):
    period = periods.parse(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert periods.parse(period.code) == period


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a period"),
        ("i fjor", "is not a period"),
        ("2026-Q5", "numbered 1 to 4"),
        ("2026-13", "numbered 1 to 12"),
        ("1850", "between 2000 and 2100"),
        ("2026-06-30..2026-01-01", "ends before it starts"),
        ("2026-02-30..2026-03-01", "is not a date"),
        ("2020-01-01..2026-01-01", "at most three years"),
    ],
)
def test_bad_periods_get_a_clear_error(text, message):
    with pytest.raises(periods.PeriodError, match=message):
        periods.parse(text)


def test_errors_are_in_norwegian():
    with translation.override("nb"), pytest.raises(periods.PeriodError) as error:
        periods.parse("2026-13")
    assert "måned" in str(error.value).lower()


def test_the_year_before_is_the_same_stretch_of_days():
    assert periods.parse("2026-Q2").year_before() == periods.parse("2025-Q2")
    assert periods.parse("2028-02").year_before() == periods.parse("2027-02")
    before = periods.parse("2028-02-29..2028-03-10").year_before()
    assert (before.start, before.end) == (D(2027, 2, 28), D(2027, 3, 10))


def test_months_of_a_period():
    assert periods.parse("2026-Q1").months() == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert len(periods.parse("2025-11-15..2026-02-01").months()) == 4
