"""Time in Oslo: the one time zone of the portal, and the date formats people read.

Meetings are planned as local dates and clock times and stored as aware
datetimes; an 18:00 meeting stays at 18:00 on both sides of a change to or
from summer time. Every module that turns a datetime into a local date, or a
date into words, uses these helpers.
"""

import datetime
import functools
from zoneinfo import ZoneInfo

import holidays
from django.utils import formats, timezone

OSLO = ZoneInfo("Europe/Oslo")


def local_start(date, time):
    """The aware datetime of local `time` on `date` in Europe/Oslo.

    A time that does not exist on the spring-forward night (02:30) is read
    with the offset before the change, as zoneinfo does for fold=0.
    """
    return datetime.datetime.combine(date, time, tzinfo=OSLO)


def local_midnight(date):
    """The aware start of `date` in Oslo."""
    return local_start(date, datetime.time.min)


def local(value):
    """An aware datetime in Oslo time."""
    return timezone.localtime(value, OSLO)


def local_date(value):
    """The Oslo date of an aware datetime."""
    return local(value).date()


def iso(value):
    """An aware datetime as ISO text in Oslo time, for a message's context (`_at` keys)."""
    return local(value).isoformat()


def long_date(value):
    """ "2. desember 2026": a date, or the Oslo date of a datetime, as people write it."""
    if isinstance(value, datetime.datetime):
        value = local(value)
    return formats.date_format(value, "j. F Y")


def weekday_date(value):
    """ "onsdag 2. desember 2026"."""
    if isinstance(value, datetime.datetime):
        value = local(value)
    return formats.date_format(value, "l j. F Y")


def clock(value):
    """ "18:00": the Oslo clock time of a datetime, or a time."""
    if isinstance(value, datetime.datetime):
        value = local(value)
    return formats.time_format(value, "H:i")


def when(value):
    """ "onsdag 2. desember 2026 kl. 18:00": a meeting's start as people read it."""
    return formats.date_format(local(value), "l j. F Y \\k\\l. H:i")


def admin_datetime(value, fmt="SHORT_DATETIME_FORMAT"):
    """A datetime in Oslo time for an admin column ("–" when there is none)."""
    return formats.date_format(local(value), fmt) if value else "–"


@functools.cache
def _weekday_holidays(year):
    return frozenset(day for day in holidays.Norway(years=year) if day.weekday() < 5)


def working_days_between(start, end):
    """Working days (Monday to Friday, not a Norwegian public holiday) from `start` up to `end`.

    `start` itself counts, `end` does not: from a Monday to the Wednesday is
    two working days, as the reports count the time to first contact.
    Dates, not datetimes; 0 when `end` is not after `start`.
    """
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5 + sum(
        1 for n in range(rest) if (start + datetime.timedelta(days=n)).weekday() < 5
    )
    for year in range(start.year, end.year + 1):
        count -= sum(1 for day in _weekday_holidays(year) if start <= day < end)
    return count
