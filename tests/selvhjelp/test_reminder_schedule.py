"""When beat runs the reminder jobs (CELERY_BEAT_SCHEDULE), in Oslo time."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

OSLO = ZoneInfo("Europe/Oslo")


def oslo(*args):
    return datetime(*args, tzinfo=OSLO)


def entry(name):
    return settings.CELERY_BEAT_SCHEDULE[name]


@pytest.mark.parametrize(
    ("name", "job"),
    [
        ("remind-first-meetings", "remind_first_meetings"),
        ("remind-facilitators-of-meetings", "remind_facilitators_of_meetings"),
        ("remind-facilitators-of-follow-ups", "remind_facilitators_of_follow_ups"),
        ("tell-commitment-ends", "tell_commitment_ends"),
    ],
)
def test_each_reminder_job_has_its_beat_entry_running_it_through_run_job(name, job):
    assert entry(name)["task"] == "selvhjelp.tasks.run_job"
    assert entry(name)["args"] == (job,)


def test_meeting_reminders_are_looked_for_every_quarter_of_an_hour():
    for name in ("remind-first-meetings", "remind-facilitators-of-meetings"):
        schedule = entry(name)["schedule"]
        assert schedule.minute == {0, 15, 30, 45}
        assert schedule.hour == set(range(24))
        # A run that waited for a worker longer than that is replaced by the next.
        assert entry(name)["options"]["expires"] < 15 * 60


def test_follow_up_reminders_are_looked_for_every_hour():
    schedule = entry("remind-facilitators-of-follow-ups")["schedule"]
    assert len(schedule.minute) == 1
    assert schedule.hour == set(range(24))


@pytest.mark.parametrize(
    ("last_run", "next_run"),
    [
        (oslo(2026, 3, 2, 10, 0), oslo(2026, 3, 3, 10, 0)),
        # Summer time starts at 02:00 on 29 March 2026: still 10:00 on the clock.
        (oslo(2026, 3, 28, 10, 0), oslo(2026, 3, 29, 10, 0)),
        # Winter time starts at 03:00 on 25 October 2026.
        (oslo(2026, 10, 24, 10, 0), oslo(2026, 10, 25, 10, 0)),
    ],
)
def test_commitment_notices_go_out_at_ten_oslo_time_across_clock_changes(
    last_run, next_run, time_machine
):
    schedule = entry("tell-commitment-ends")["schedule"]
    now = last_run.astimezone(UTC) + timedelta(seconds=1)
    time_machine.move_to(now, tick=False)
    assert now + schedule.remaining_estimate(last_run) == next_run
    time_machine.move_to(next_run - timedelta(seconds=1), tick=False)
    assert not schedule.is_due(last_run).is_due
    time_machine.move_to(next_run + timedelta(seconds=1), tick=False)
    assert schedule.is_due(last_run).is_due
