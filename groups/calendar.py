"""A member's calendar of the group's meetings (iCalendar), reached by their link.

One event per meeting, with a UID that never changes and a SEQUENCE that
grows with every change (Meeting.revision): when the group moves to every
other week, the weeks it no longer meets in become cancelled events and the
calendar app updates them ("updated events", not an RRULE, so that moved
and cancelled meetings, public holidays and summer time are each exactly as
in the schedule). Events say where and when, never why and never who.
Times are Europe/Oslo with a VTIMEZONE.
"""

import datetime
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from selvhjelp.dates import local, local_date

from . import schedule
from .meetings import rhythm
from .models import Group

# Meetings this long ago still show, so a calendar keeps the recent past.
PAST_DAYS = 28


def every_weeks_now(group, today=None):
    """How often the group meets from its next regular meeting day: 1 or 2."""
    today = today or timezone.localdate()
    next_day = schedule.first_regular_date_from(group.planned_start, today)
    week = max(schedule.week_of(group.planned_start, next_day), 1)
    return schedule.every_weeks_in(rhythm(group), group.planned_start, week)


def member_feed(membership, *, now=None):
    """The feed as bytes: the group's meetings from PAST_DAYS ago, cancelled ones marked."""
    now = now or timezone.now()
    group = membership.group
    host = urlsplit(settings.SITE_URL).hostname or "selvhjelp.local"
    stamp = now.astimezone(datetime.UTC)
    meetings = list(
        group.meetings.filter(start__gte=now - datetime.timedelta(days=PAST_DAYS)).order_by("start")
    )
    if not membership.is_active:
        meetings = []
    place = group.venue if group.format == Group.Format.PHYSICAL else group.video_link
    with translation.override("nb"):
        feed = icalendar.Calendar.new(
            prodid="-//Selvhjelp//Gruppe//NO",
            name=_("Self-help group: %(group)s") % {"group": group.name},
            uid=f"member-{membership.pk}@{host}",
        )
        feed.add("x-wr-timezone", "Europe/Oslo")
        feed.add("refresh-interval", datetime.timedelta(hours=6), parameters={"VALUE": "DURATION"})
        for meeting in meetings:
            start = local(meeting.start)
            summary = _("Self-help group: %(group)s") % {"group": group.name}
            event = icalendar.Event.new(
                uid=f"group-meeting-{meeting.pk}@{host}",
                summary=(_("Cancelled: %(summary)s") % {"summary": summary})
                if meeting.cancelled
                else summary,
                start=start,
                end=start + datetime.timedelta(minutes=meeting.length),
                stamp=stamp,
                location=place,
            )
            event.add("sequence", meeting.revision)
            event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
            feed.add_component(event)
    if meetings:
        feed.add_missing_timezones(
            first_date=local_date(meetings[0].start).replace(month=1, day=1),
            last_date=local_date(meetings[-1].start) + datetime.timedelta(days=366),
        )
    return feed.to_ical()
