"""Periodic jobs about facilitators (see selvhjelp.jobs; the times are in CELERY_BEAT_SCHEDULE)."""

import logging

from groups import services as group_services
from groups.models import GroupRuleError
from selvhjelp.jobs import job

from . import reminders, selectors

logger = logging.getLogger(__name__)


@job("move_groups_to_self_run")
def move_groups_to_self_run(*, now=None):
    """Mark started groups as self-run once their facilitators have withdrawn.

    That is when every active facilitator's last attended meeting has ended,
    or every facilitator was withdrawn. Safe to run twice: a group already
    self-run is no longer "started". Also `manage.py run_job move_groups_to_self_run`.
    """
    moved = 0
    for group, on in selectors.groups_ready_for_self_run(now=now):
        try:
            group_services.mark_self_run(group=group, on=on, actor=None)
        except GroupRuleError as error:
            # Changed meanwhile (ended by staff, say): nothing to do for it.
            logger.info("Group %s not moved to self-run: %s", group.pk, type(error).__name__)
            continue
        moved += 1
    return {"self_run": moved}


@job("remind_facilitators_of_meetings")
def remind_facilitators_of_meetings(*, now=None):
    """Remind facilitators of each meeting they attend, FACILITATOR_REMINDER_DAYS before.

    Safe to run twice or late: each reminder is written once (per meeting
    revision), never after the meeting has begun.
    """
    return reminders.remind_facilitators_of_meetings(now=now)


@job("remind_facilitators_of_follow_ups")
def remind_facilitators_of_follow_ups(*, now=None):
    """Remind a group's facilitators FACILITATOR_REMINDER_DAYS before its follow-up is due.

    Once per follow-up date and facilitator; nothing once the day has passed.
    """
    return reminders.remind_facilitators_of_follow_ups(now=now)
