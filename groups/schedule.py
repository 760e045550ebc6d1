"""The weekly meeting pattern, and the Norwegian public holidays it meets.

Pure functions: no database. Meetings are planned as local dates; turning a
date and a clock time into an aware datetime is selvhjelp.dates.local_start.
"""

import datetime
import functools
from dataclasses import dataclass

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
    # Imported here, not at the top: a web worker loads it only when needed (issue 14).
    import holidays

    return holidays.Norway(years=year, language=language)


def weekly(first_meeting, first_sequence, last_sequence):
    """Planned meetings `first_sequence`..`last_sequence` of a weekly series."""
    planned = []
    for sequence in range(first_sequence, last_sequence + 1):
        date = first_meeting + datetime.timedelta(weeks=sequence - 1)
        planned.append(PlannedMeeting(sequence, date, holiday_name(date)))
    return planned


def holidays_in(planned):
    return [meeting for meeting in planned if meeting.holiday]
