"""Periodic jobs about groups (see selvhjelp.jobs; the times are in CELERY_BEAT_SCHEDULE)."""

from selvhjelp.jobs import job

from . import reminders, services


@job("roll_groups_forward")
def roll_groups_forward(*, now=None):
    """Start groups that have met and keep every active schedule 8 meetings ahead.

    Safe to run twice: a meeting is created once per place in the series.
    Also `manage.py run_job roll_groups_forward` and `manage.py extend_group_schedules`.
    """
    return services.roll_forward(now=now)


@job("remind_first_meetings")
def remind_first_meetings(*, now=None):
    """Remind members of their first meeting, PARTICIPANT_REMINDER_DAYS before it.

    Safe to run twice or late: each reminder is written once (per meeting
    revision), never after the meeting has begun.
    """
    return reminders.remind_first_meetings(now=now)


@job("remind_members_of_meetings")
def remind_members_of_meetings(*, now=None):
    """Remind members of each meeting after their first, with their personal link.

    Safe to run twice or late, as remind_first_meetings.
    """
    return reminders.remind_meetings(now=now)


@job("tell_commitment_ends")
def tell_commitment_ends(*, now=None):
    """Tell members on the day their 12-week commitment ends that they may stay on.

    Once per membership; staff see the count in the morning's digest.
    """
    return reminders.tell_commitment_ends(now=now)
