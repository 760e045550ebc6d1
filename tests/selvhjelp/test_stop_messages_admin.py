"""Stopped reminders in the admin: staff see their centres' and can start them again."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from groups import jobs as group_jobs
from groups import meetings as group_meetings
from groups import services as group_services
from intake.models import Intake
from selvhjelp import messaging
from selvhjelp.dates import OSLO
from selvhjelp.models import MessageOptOut
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/admin/selvhjelp/messageoptout/"
FIRST = datetime.date(2027, 1, 19)  # a Tuesday with no public holiday in the next 12 weeks


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(datetime.datetime(2027, 1, 4, 10, tzinfo=OSLO), tick=False)
    return time_machine


def form_group(centre, staff, name="Tirsdagsgruppa", people=4):
    intakes = [
        factories.IntakeFactory(
            centre=centre, name=f"Person{n} {name}", status=Intake.Status.WAITING
        )
        for n in range(people)
    ]
    return group_services.form_group(
        centre=centre,
        intakes=intakes,
        name=name,
        kind="across",
        format="physical",
        venue="Møterom 2",
        weekday=1,
        start_time=datetime.time(18),
        first_meeting=FIRST,
        actor=staff,
        accept_warnings=True,
    )


def stop_reminders(group, clock):
    """Write the reminders of the group's centre and press the stop link in each."""
    clock.move_to(datetime.datetime(2027, 1, 17, 18, 5, tzinfo=OSLO), tick=False)
    group_jobs.remind_first_meetings()
    reminders = group.centre.outbound_messages.filter(message_type="group_first_meeting_reminder")
    for reminder in reminders:
        messaging.stop_messages(token=messaging.stop_token(reminder))
    return MessageOptOut.objects.filter(centre=group.centre)


def log_in(client, user):
    """Staff log in when they look: after the clock has moved days ahead, a session
    from before would have ended (STAFF_IDLE_TIMEOUT_MINUTES)."""
    client.force_login(user)
    return client


def act(client, action, *rows):
    return client.post(
        URL, {"action": action, "_selected_action": [row.pk for row in rows]}, follow=True
    )


def test_a_stop_records_the_centre_that_sent_the_reminder(centre, staff, clock):
    stopped = stop_reminders(form_group(centre, staff), clock)

    assert stopped.count() == 4
    assert {opt_out.centre for opt_out in stopped} == {centre}


def test_staff_see_who_stopped_which_reminders_at_their_centres_only(
    client, centre, staff, other_centre, other_centre_staff, clock
):
    stop_reminders(form_group(centre, staff), clock)
    stop_reminders(form_group(other_centre, other_centre_staff, name="Oslogruppa"), clock)
    staff_client = log_in(client, staff)

    html = staff_client.get(URL).content.decode()

    assert "Person0 Tirsdagsgruppa – Tirsdagsgruppa" in html
    assert "Påminnelse før ditt første møte i en gruppe" in html
    assert "Oslogruppa" not in html


def test_starting_reminders_again_lets_the_job_write_them(client, centre, staff, clock):
    group = form_group(centre, staff)
    stopped = stop_reminders(group, clock)
    staff_client = log_in(client, staff)
    group_meetings.move_meeting(
        meeting=group.meetings.get(sequence=1), date=FIRST + datetime.timedelta(days=1), actor=staff
    )

    response = act(staff_client, "resume", stopped.first())

    assert "1 type påminnelser blir sendt igjen." in response.content.decode()
    assert MessageOptOut.objects.count() == 3
    clock.move_to(datetime.datetime(2027, 1, 18, 18, 5, tzinfo=OSLO), tick=False)
    assert group_jobs.remind_first_meetings() == {"reminders": 1}


def test_staff_cannot_start_another_centres_reminders_again(
    centre, staff, other_centre_staff, clock
):
    stopped = stop_reminders(form_group(centre, staff), clock)

    with pytest.raises(PermissionDenied):
        messaging.resume_messages(opt_outs=stopped, actor=other_centre_staff)
    assert MessageOptOut.objects.count() == 4


def test_stops_are_neither_added_nor_edited_by_hand(client, centre, staff, clock):
    opt_out = stop_reminders(form_group(centre, staff), clock).first()
    staff_client = log_in(client, staff)

    assert staff_client.get(URL + "add/").status_code == 403
    assert staff_client.post(URL + f"{opt_out.pk}/delete/").status_code == 403


@pytest.mark.parametrize("groups", [1, 4])
def test_the_list_costs_the_same_queries_for_few_and_many(
    groups, client, centre, staff, clock, django_assert_max_num_queries
):
    for number in range(groups):
        group = form_group(centre, staff, name=f"Gruppe{number}")
    stop_reminders(group, clock)  # those of every group of the centre
    staff_client = log_in(client, staff)

    with django_assert_max_num_queries(14):
        response = staff_client.get(URL)
    assert response.content.decode().count("Person0 Gruppe") == groups
