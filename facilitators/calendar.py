"""The facilitator's personal calendar feed (iCalendar), built with the icalendar library.

Events say where and when, never why: the group's name and place, no
participant names, no themes, nothing anyone wrote. Each meeting and
follow-up has a UID that never changes and a SEQUENCE that grows with every
change (Meeting.revision, FollowUp.revision), so calendar apps update the
event they already have. A new place for the group counts as a change of
every meeting ahead (groups.services.change_place raises their revision).
Times are Europe/Oslo with a VTIMEZONE.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from groups.models import Group
from selvhjelp.dates import local, local_date, long_date

from .models import FollowUp

PRODUCT_ID = "-//Selvhjelp//Igangsetter//NO"


def _host():
    return urlsplit(settings.SITE_URL).hostname or "selvhjelp.local"


def _page(name, *args):
    return settings.SITE_URL + reverse(name, args=args)


def _place(group):
    return group.venue if group.format == Group.Format.PHYSICAL else group.video_link


def _meeting_event(meeting, stamp):
    import icalendar

    group = meeting.group
    start = local(meeting.start)
    summary = _("Self-help group: %(group)s") % {"group": group.name}
    lines = [
        _("Meeting %(number)s of the group. You take part as facilitator.")
        % {"number": meeting.sequence}
    ]
    if meeting.is_last_attended:
        lines.append(_("This is the last meeting you take part in."))
    if meeting.moved_from:
        moved = formats.date_format(local(meeting.moved_from), "l j. F H:i")
        lines.append(_("Moved from %(when)s.") % {"when": moved})
    lines.append(_page("facilitators:group", group.pk))
    event = icalendar.Event.new(
        uid=f"meeting-{meeting.pk}@{_host()}",
        summary=(_("Cancelled: %(summary)s") % {"summary": summary})
        if meeting.cancelled
        else summary,
        start=start,
        end=start + datetime.timedelta(minutes=meeting.length),
        stamp=stamp,
        location=_place(group),
        description="\n".join(lines),
    )
    event.add("sequence", meeting.revision)
    event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    if group.format == Group.Format.DIGITAL:
        event.add("url", group.video_link)
    return event


def _follow_up_event(follow_up, stamp):
    import icalendar

    group = follow_up.group
    if follow_up.kind == FollowUp.Kind.VISIT:
        summary = _("Visit to the group: %(group)s") % {"group": group.name}
    else:
        summary = _("Follow-up: %(group)s") % {"group": group.name}
    lines = [_("Talk with the group about how it is going, and record it on the follow-up page.")]
    if follow_up.is_done:
        lines = [_("Done %(date)s.") % {"date": long_date(follow_up.done_on)}]
    lines.append(_page("facilitators:follow-up", follow_up.pk))
    event = icalendar.Event.new(
        uid=f"follow-up-{follow_up.pk}@{_host()}",
        summary=summary,
        start=follow_up.due_on,
        end=follow_up.due_on + datetime.timedelta(days=1),
        stamp=stamp,
        description="\n".join(lines),
    )
    event.add("sequence", follow_up.revision)
    event.add("transp", "TRANSPARENT")
    return event


def build_feed(*, facilitator, meetings, follow_ups, now=None):
    """The feed as bytes: `meetings` (selectors.attended_meetings) and `follow_ups`."""
    import icalendar

    stamp = (now or timezone.now()).astimezone(datetime.UTC)
    with translation.override("nb"):
        calendar = icalendar.Calendar.new(
            prodid=PRODUCT_ID,
            name=_("Selvhjelp: my groups"),
            uid=f"facilitator-{facilitator.pk}@{_host()}",
        )
        calendar.add("x-wr-timezone", "Europe/Oslo")
        calendar.add(
            "refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"}
        )
        calendar.add("x-published-ttl", "PT1H")
        for meeting in meetings:
            calendar.add_component(_meeting_event(meeting, stamp))
        for follow_up in follow_ups:
            calendar.add_component(_follow_up_event(follow_up, stamp))
    if meetings:
        calendar.add_missing_timezones(
            first_date=local_date(meetings[0].start).replace(month=1, day=1),
            last_date=local_date(meetings[-1].start) + datetime.timedelta(days=366),
        )
    return calendar.to_ical()
