"""The meeting pattern (weekly, or every other week from a date), and the public holidays it meets.

Pure functions: no database. Meetings are planned as local dates; turning a
date and a clock time into an aware datetime is selvhjelp.dates.local_start.
"""

import datetime
import functools
from dataclasses import dataclass

import holidays
from django.utils import translation


@dataclass(frozen=True)
class PlannedMeeting:
    sequence: int
    date: datetime.date
    holiday: str = ""


def holiday_name(date):
    """The name of the Norwegian public holiday on `date`, or "" on other days.

    In Norwegian unless the page is shown in English. Sundays are not counted
    as holidays (only named public holidays move a meeting).
    """
    language = "en_US" if (translation.get_language() or "nb").startswith("en") else "no"
    return _calendar(date.year, language).get(date, "")


@functools.cache
def _calendar(year, language):
    return holidays.Norway(years=year, language=language)


def weekly(first_meeting, first_sequence, last_sequence):
    """Planned meetings `first_sequence`..`last_sequence` of a weekly series."""
    planned = []
    for sequence in range(first_sequence, last_sequence + 1):
        date = first_meeting + datetime.timedelta(weeks=sequence - 1)
        planned.append(PlannedMeeting(sequence, date, holiday_name(date)))
    return planned


def week_of(first_meeting, date):
    """The number of the series' week `date` falls in (1 in the week of `first_meeting`).

    A week runs from the group's weekday to the day before the next one.
    """
    return (date - first_meeting).days // 7 + 1


def regular_date(first_meeting, sequence):
    """The day the series' meeting `sequence` falls on, before any move."""
    return first_meeting + datetime.timedelta(weeks=sequence - 1)


def first_regular_date_from(first_meeting, date):
    """The first regular meeting day of the series on or after `date`."""
    sequence = week_of(first_meeting, date)
    if regular_date(first_meeting, sequence) < date:
        sequence += 1
    return regular_date(first_meeting, sequence)


def meets_in_week(changes, first_meeting, sequence):
    """Whether the group meets in week `sequence` of its series.

    `changes` are (starts_on, every_weeks) pairs, each starts_on a regular
    meeting day: the latest on or before the week decides. Weekly before any
    change; every other week counts from the week the change starts.
    """
    decided = None
    for starts_on, every_weeks in sorted(changes):
        start = week_of(first_meeting, starts_on)
        if start <= sequence:
            decided = (start, every_weeks)
    if decided is None:
        return True
    start, every_weeks = decided
    return (sequence - start) % every_weeks == 0


def every_weeks_in(changes, first_meeting, sequence):
    """How often the group meets in week `sequence`: 1 (weekly) or 2 (every other week)."""
    every = 1
    for starts_on, every_weeks in sorted(changes):
        if week_of(first_meeting, starts_on) <= sequence:
            every = every_weeks
    return every


def series(first_meeting, first_sequence, last_sequence, changes=()):
    """Planned meetings of weeks `first_sequence`..`last_sequence` in which the group meets."""
    return [
        meeting
        for meeting in weekly(first_meeting, first_sequence, last_sequence)
        if meets_in_week(changes, first_meeting, meeting.sequence)
    ]


def holidays_in(planned):
    return [meeting for meeting in planned if meeting.holiday]
