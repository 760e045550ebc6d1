"""What the group's messages say, and to whom: the context every group message shares.

Messages say where and when, never why, and never who else is in the group:
the context holds the group's name, place or video link, the centre and the
member's own first name. Each member is reached by the channel they chose
(intake.services.message_channel), and each row records the member's intake
as the person it went to, so an erasure finds it.
"""

import datetime

from django.utils import timezone, translation

from intake.models import Slot
from intake.services import message_channel
from selvhjelp import outbox_keys
from selvhjelp.dates import clock, iso, local_start
from selvhjelp.messaging import queue_message, recipient_language

from .models import Group


def where(group):
    """Where the group meets; never why, never who else is in it."""
    return {
        "group": group.name,
        "digital": group.format == Group.Format.DIGITAL,
        "place": group.venue if group.format == Group.Format.PHYSICAL else "",
        "video_link": group.video_link if group.format == Group.Format.DIGITAL else "",
        "centre": group.centre.name,
        "centre_phone": group.centre.phone,
    }


def meeting_context(meeting):
    """The where and when of one meeting, with what the outbox checks before sending."""
    return {
        **where(meeting.group),
        "meeting_at": iso(meeting.start),
        "meeting_id": meeting.pk,
        "revision": meeting.revision,
    }


def queue_welcome(membership):
    """ "You have a place": the frame of the group and the member's first meeting."""
    group, intake = membership.group, membership.intake
    channel, recipient = message_channel(intake)
    first = (
        group.meetings.not_cancelled()
        .filter(start__gte=max(timezone.now(), local_start(membership.joined_on, datetime.time())))
        .order_by("start")
        .first()
    )
    queue_message(
        centre=group.centre,
        channel=channel,
        recipient=recipient,
        to=intake,
        message_type="group_welcome",
        about=membership,
        dedup_key=outbox_keys.group_welcome(membership),
        context=welcome_context(intake, group, first.start if first else None),
    )


def welcome_context(intake, group, first_start):
    """What "you have a place" says to `intake` about `group`, first meeting at `first_start`."""
    # The outbox keeps the weekday as text, in the member's language.
    with translation.override(recipient_language(intake)):
        weekday = str(Slot.WEEKDAYS[group.weekday][1])
    return {
        "first_name": intake.first_name,
        **where(group),
        "weekday": weekday,
        "time": clock(group.start_time),
        "first_meeting_at": iso(first_start) if first_start else "",
    }


def welcome_preview(intake, group, first_start):
    """(channel label, address, text): "you have a place" as `intake` would get it.

    For the check page before a group is formed: `group` may be unsaved.
    Nothing is written to the outbox.
    """
    from selvhjelp.messaging import render_message
    from selvhjelp.models import OutboundMessage

    channel, recipient = message_channel(intake)
    message = OutboundMessage(
        centre=group.centre,
        channel=channel,
        recipient=recipient,
        message_type="group_welcome",
        context=welcome_context(intake, group, first_start),
    )
    rendered = render_message(message, preview=True)
    text = f"{rendered.subject}\n\n{rendered.body}" if rendered.subject else rendered.body
    return OutboundMessage.Channel(channel).label, str(recipient), text.strip()


def queue_to_members(group, *, message_type, about, key, context):
    """One message of `message_type` to each active member: `key` made theirs (to_member)."""
    for membership in group.memberships.active().select_related("intake"):
        channel, recipient = message_channel(membership.intake)
        queue_message(
            centre=group.centre,
            channel=channel,
            recipient=recipient,
            to=membership.intake,
            message_type=message_type,
            about=about,
            dedup_key=outbox_keys.to_member(key, membership),
            context={"first_name": membership.intake.first_name, **where(group), **context},
        )
