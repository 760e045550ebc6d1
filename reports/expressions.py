"""Database expressions the report figures need and Django does not ship.

Each works on PostgreSQL (production) and SQLite (`make run`), except
PercentileCont, which is PostgreSQL's; on SQLite the figures compute
percentiles from a counted list of values instead (figures._percentiles).
"""

import datetime

from django.db import NotSupportedError
from django.db.models import (
    Aggregate,
    Case,
    FloatField,
    Func,
    IntegerField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.db.models.lookups import GreaterThan

# Day 0 of DayNumber, a Monday: weekdays follow from the number alone.
EPOCH = datetime.date(1970, 1, 5)


def day_number(date):
    """DayNumber of a Python date, for constants in queries."""
    return (date - EPOCH).days


class DayNumber(Func):
    """Whole days from Monday 1970-01-05 to a date: a plain integer on every backend.

    Subtracting two of them gives the days between two dates, which Django's
    date arithmetic returns as an interval on PostgreSQL and as text on SQLite.
    """

    arity = 1
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("DayNumber supports PostgreSQL and SQLite only.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template=f"((%(expressions)s)::date - DATE '{EPOCH.isoformat()}')",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template=(
                f"CAST(julianday(%(expressions)s) - julianday('{EPOCH.isoformat()}') AS INTEGER)"
            ),
            **extra_context,
        )


def working_day_number(day, holidays):
    """Working days (Monday to Friday, not a public holiday) before `day`, as an expression.

    `day` is a DayNumber expression; `holidays` are the DayNumbers of the
    public holidays on weekdays that may lie between the dates compared (older
    ones shift every number alike, so differences stay right). The difference
    of two of these is the number of working days from the first date up to,
    not including, the second.
    """
    weeks = day / 7  # integer division on both backends: day >= 0
    weekday = day - weeks * 7  # 0 = Monday
    weekdays_before = weeks * 5 + Least(weekday, Value(5))
    holidays = sorted(set(holidays))
    if not holidays:
        return weekdays_before
    return weekdays_before - HolidaysBefore(day, holidays=holidays)


class HolidaysBefore(Func):
    """How many of `holidays` (sorted DayNumbers) come before the DayNumber `day`.

    PostgreSQL's width_bucket reads the day once; elsewhere a CASE from the
    latest holiday down.
    """

    arity = 1
    output_field = IntegerField()

    def __init__(self, day, *, holidays):
        self.holidays = list(holidays)
        super().__init__(day)

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        bounds = ", ".join(str(int(holiday)) for holiday in self.holidays)
        return f"width_bucket(({sql}) - 1, ARRAY[{bounds}]::integer[])", params

    def as_sql(self, compiler, connection, **extra_context):
        day = self.get_source_expressions()[0]
        latest_first = sorted(self.holidays, reverse=True)
        passed = Case(
            *[
                When(GreaterThan(day, Value(holiday)), then=Value(len(latest_first) - index))
                for index, holiday in enumerate(latest_first)
            ],
            default=Value(0),
            output_field=IntegerField(),
        )
        return compiler.compile(passed)


class LeastNotNull(Func):
    """The smaller of two values, skipping NULL (NULL only when both are).

    PostgreSQL's LEAST already skips NULLs; SQLite's MIN() returns NULL when
    either is NULL, so there it is MIN(COALESCE(a, b), COALESCE(b, a)).
    """

    function = "LEAST"
    arity = 2

    def as_sqlite(self, compiler, connection, **extra_context):
        first, second = self.get_source_expressions()
        both = Least(Coalesce(first, second), Coalesce(second, first))
        return compiler.compile(both)


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression).

    The median is PercentileCont(0.5, ...). Values are interpolated between
    the two nearest, as figures.percentile_cont does in Python.
    """

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, fraction, expression, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile is a fraction from 0 to 1.")
        super().__init__(expression, fraction=repr(fraction), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            raise NotSupportedError("percentile_cont needs PostgreSQL.")
        return super().as_sql(compiler, connection, **extra_context)
