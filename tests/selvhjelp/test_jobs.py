from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from selvhjelp import jobs, messaging
from selvhjelp.models import OutboundMessage
from tests import factories

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


def oslo(*args):
    return datetime(*args, tzinfo=OSLO)


def new_intake(centre, received):
    return factories.IntakeFactory(centre=centre, created_at=received)


def failed_message(centre, key="failed"):
    message = messaging.queue_message(
        centre=centre,
        channel="email",
        recipient="kari@example.org",
        message_type="intake_confirmation",
        about=centre,
        dedup_key=key,
        context={"first_name": "Kari", "reference": "ABC-234", "response_days": 5},
    )
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.FAILED)
    return message


def digests():
    return OutboundMessage.objects.filter(message_type="staff_digest").order_by("recipient")


# --- The schedule -------------------------------------------------------------


def test_every_scheduled_job_exists_and_every_job_is_scheduled():
    scheduled = {
        entry["args"][0]
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "selvhjelp.tasks.run_job"
    }
    assert scheduled == set(jobs.registered_jobs())


def test_the_beat_schedule_runs_in_oslo_time():
    from selvhjelp.celery import app

    assert str(app.timezone) == "Europe/Oslo"


def test_due_messages_are_swept_every_minute(time_machine):
    schedule = django_settings.CELERY_BEAT_SCHEDULE["send-due-messages"]["schedule"]
    time_machine.move_to(oslo(2026, 3, 2, 10, 0, 1), tick=False)
    assert schedule.remaining_estimate(oslo(2026, 3, 2, 10, 0)) <= timedelta(minutes=1)


@pytest.mark.parametrize(
    ("last_run", "next_run"),
    [
        # An ordinary night.
        (oslo(2026, 3, 2, 7, 0), oslo(2026, 3, 3, 7, 0)),
        # Clocks go forward at 02:00 on 29 March 2026: still 07:00 on the clock.
        (oslo(2026, 3, 28, 7, 0), oslo(2026, 3, 29, 7, 0)),
        # Clocks go back at 03:00 on 25 October 2026.
        (oslo(2026, 10, 24, 7, 0), oslo(2026, 10, 25, 7, 0)),
    ],
)
def test_the_digest_is_scheduled_at_seven_oslo_time_across_clock_changes(
    last_run, next_run, time_machine
):
    schedule = django_settings.CELERY_BEAT_SCHEDULE["staff-digest"]["schedule"]
    # Arithmetic in UTC: adding a timedelta to an Oslo datetime adds wall-clock time.
    now = last_run.astimezone(UTC) + timedelta(seconds=1)
    time_machine.move_to(now, tick=False)
    assert now + schedule.remaining_estimate(last_run) == next_run
    time_machine.move_to(next_run - timedelta(seconds=1), tick=False)
    assert not schedule.is_due(last_run).is_due
    time_machine.move_to(next_run + timedelta(seconds=1), tick=False)
    assert schedule.is_due(last_run).is_due


# --- The staff digest ---------------------------------------------------------


def test_the_digest_goes_to_each_staff_member_of_a_centre_with_something_to_say(
    centre, other_centre, time_machine
):
    time_machine.move_to(oslo(2026, 3, 5, 7, 0), tick=False)
    first, second = (factories.StaffFactory(centres=[centre]) for _ in range(2))
    factories.StaffFactory(centres=[other_centre])
    new_intake(centre, oslo(2026, 3, 1, 12, 0))
    assert jobs.staff_digest() == {"digests": 2}
    assert [d.recipient for d in digests()] == sorted([first.email, second.email])
    assert {d.centre for d in digests()} == {centre}


def test_no_digest_when_there_is_nothing_to_say(centre, staff, time_machine):
    time_machine.move_to(oslo(2026, 3, 5, 7, 0), tick=False)
    new_intake(centre, oslo(2026, 3, 4, 12, 0))  # yesterday: not late yet
    assert jobs.staff_digest() == {"digests": 0}
    assert not digests().exists()


def test_the_digest_counts_forms_still_new_after_three_calendar_days(centre, staff, time_machine):
    time_machine.move_to(oslo(2026, 3, 5, 7, 0), tick=False)  # Thursday
    new_intake(centre, oslo(2026, 3, 2, 23, 59))  # Monday: three days ago
    new_intake(centre, oslo(2026, 2, 20, 9, 0))
    new_intake(centre, oslo(2026, 3, 3, 0, 1))  # Tuesday: not yet
    factories.IntakeFactory(centre=centre, created_at=oslo(2026, 2, 1, 9), status="contacted")
    jobs.staff_digest()
    assert digests().get().context["uncontacted_intakes"] == 2


def test_the_number_of_days_is_a_setting(centre, staff, settings, time_machine):
    settings.DIGEST_UNCONTACTED_DAYS = 1
    time_machine.move_to(oslo(2026, 3, 5, 7, 0), tick=False)
    new_intake(centre, oslo(2026, 3, 4, 12, 0))
    jobs.staff_digest()
    assert digests().get().context["uncontacted_intakes"] == 1


def test_whole_oslo_days_are_counted_on_the_day_the_clocks_go_forward(centre, staff, time_machine):
    time_machine.move_to(oslo(2026, 3, 29, 7, 0), tick=False)  # Sunday, summer time
    new_intake(centre, oslo(2026, 3, 26, 23, 30))  # Thursday: counted
    new_intake(centre, oslo(2026, 3, 27, 0, 30))  # Friday: 71 hours ago, not counted
    jobs.staff_digest()
    assert digests().get().context["uncontacted_intakes"] == 1


def test_the_digest_counts_failed_messages_of_its_centre(centre, other_centre, staff):
    failed_message(centre, "f1")
    failed_message(centre, "f2")
    failed_message(other_centre, "f3")
    jobs.staff_digest()
    context = digests().get().context
    assert context["failed_messages"] == 2
    assert context["uncontacted_intakes"] == 0


def test_the_digest_is_written_once_a_day(centre, staff, time_machine):
    failed_message(centre)
    time_machine.move_to(oslo(2026, 3, 5, 7, 0), tick=False)
    jobs.staff_digest()
    time_machine.move_to(oslo(2026, 3, 5, 15, 0), tick=False)
    assert jobs.staff_digest() == {"digests": 0}
    time_machine.move_to(oslo(2026, 3, 6, 7, 0), tick=False)
    assert jobs.staff_digest() == {"digests": 1}
    assert digests().count() == 2


def test_the_digest_day_is_the_oslo_date_in_the_night_the_clocks_change(
    centre, staff, time_machine
):
    failed_message(centre)
    # 00:30 in Oslo is still the 28th in UTC.
    time_machine.move_to(oslo(2026, 3, 29, 0, 30), tick=False)
    jobs.staff_digest()
    digest = digests().get()
    assert digest.dedup_key == f"staff-digest:{centre.pk}:2026-03-29:{staff.pk}"
    assert digest.context["digest_on"] == "2026-03-29"


def test_the_digest_skips_inactive_users_and_users_without_email(centre):
    failed_message(centre)
    factories.StaffFactory(centres=[centre], is_active=False)
    factories.StaffFactory(centres=[centre], email="")
    assert jobs.staff_digest() == {"digests": 0}


def test_superusers_get_no_digest_unless_they_work_at_the_centre(centre, superuser):
    failed_message(centre)
    assert jobs.staff_digest() == {"digests": 0}


def test_the_digest_text_has_counts_only(centre, staff, time_machine):
    time_machine.move_to(oslo(2026, 3, 29, 7, 0), tick=False)
    intake = new_intake(centre, oslo(2026, 3, 20, 12, 0))
    failed_message(centre)
    jobs.staff_digest()
    rendered = messaging.render_message(digests().get())
    assert rendered.subject == "Daglig oversikt for Arna frivilligsentral"
    assert "søndag 29. mars" in rendered.body
    assert "1 interessemelding kom inn for 3 dager siden eller tidligere" in rendered.body
    assert "1 melding kunne ikke sendes." in rendered.body
    assert f"{django_settings.SITE_URL}/admin/" in rendered.body
    assert intake.name not in rendered.body and intake.reference not in rendered.body


def test_the_digest_tells_of_idle_forms_and_erasures_waiting_for_a_second_person(
    centre, staff, time_machine
):
    from intake import rights
    from intake.jobs import apply_retention

    time_machine.move_to(oslo(2026, 3, 2, 10, 0), tick=False)
    idle = new_intake(centre, oslo(2026, 3, 2, 9, 0))
    time_machine.move_to(oslo(2027, 3, 10, 3, 30), tick=False)
    asked = new_intake(centre, oslo(2027, 3, 10, 3, 0))
    apply_retention()
    rights.erase_person(intake=asked, actor=staff)
    time_machine.move_to(oslo(2027, 3, 10, 7, 0), tick=False)

    jobs.staff_digest()

    body = messaging.render_message(digests().get()).body
    assert (
        "1 interessemelding har ikke hatt noen aktivitet på 12 måneder og blir lukket "
        "automatisk hvis ingen tar seg av den." in body
    )
    assert "1 forespørsel om å slette opplysningene om en person venter" in body
    assert idle.name not in body and asked.reference not in body


def test_the_digest_is_sent_by_the_sweep(centre, staff):
    failed_message(centre)
    jobs.staff_digest()
    messaging.send_due_messages()
    assert [m.to for m in mail.outbox] == [[staff.email]]


@pytest.mark.parametrize("centres", [2, 10])
def test_the_digest_costs_the_same_queries_for_any_number_of_centres(
    centres, django_assert_max_num_queries
):
    for n in range(centres):
        centre = factories.CentreFactory()
        factories.StaffFactory(centres=[centre])
        failed_message(centre, key=f"failed:{n}")
        new_intake(centre, timezone.now() - timedelta(days=10))
    # One query per counter in DIGEST_COUNTERS, then the staff and the writes.
    with django_assert_max_num_queries(len(jobs.DIGEST_COUNTERS) + 5):
        assert jobs.staff_digest() == {"digests": centres}


# --- Running jobs ---------------------------------------------------------------


def test_the_command_runs_a_job(centre, staff, capsys):
    failed_message(centre)
    call_command("run_job", "staff_digest")
    assert "staff_digest: {'digests': 1}" in capsys.readouterr().out
    assert digests().count() == 1


def test_the_command_lists_the_jobs(capsys):
    call_command("run_job", "--list")
    out = capsys.readouterr().out
    assert "send_due_messages" in out and "staff_digest" in out


def test_the_command_refuses_an_unknown_job():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No job called"):
        call_command("run_job", "nothing_here")


def test_the_sweep_job_sends_due_messages(centre):
    message = failed_message(centre)
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.PENDING)
    assert jobs.run_job("send_due_messages") == {"sent": 1}
    assert len(mail.outbox) == 1
