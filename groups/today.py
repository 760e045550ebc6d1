"""The groups' section of the staff's start page (selvhjelp.today): members who left."""

import datetime

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from selvhjelp.today import TodayRow, TodayRows

from .members import left_by_members

SECTION_ROWS = 10
# Members who left through their link are shown this many days.
LEFT_SHOWN_DAYS = 14


def left_members_section(centres, today, since):
    """Members who left their group through their own link in the last two weeks. One query:
    few leave in two weeks, so all are read and counted.

    Staff see the name and reference (their own centres' people), the group
    and the day; never why: nobody was asked.
    """
    left = list(left_by_members(centres, today - datetime.timedelta(days=LEFT_SHOWN_DAYS)))
    rows = [
        TodayRow(
            label=membership.intake.name_and_reference,
            url=reverse("admin:groups_group_change", args=[membership.group_id]),
            detail=_("Left “%(group)s” on %(date)s through their own link.")
            % {"group": membership.group.name, "date": formats.date_format(membership.left_on)},
        )
        for membership in left[:SECTION_ROWS]
    ]
    return TodayRows(count=len(left), rows=rows)
