"""The admin's start page ("I dag"): each section, the centre filter, and its query budget."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facilitators.models import Assignment, FollowUp
from groups.models import Group, Meeting
from intake.models import Intake, Slot, StatusChange
from selvhjelp.dates import OSLO, working_days_between
from selvhjelp.models import OutboundMessage, TodayVisit
from tests import factories

# Wednesday 6 January 2027, 09:00 in Oslo.
NOW = datetime.datetime(2027, 1, 6, 9, 0, tzinfo=OSLO)
TODAY = NOW.date()
INDEX = "/admin/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def received(intake, when):
    Intake.objects.filter(pk=intake.pk).update(created_at=when, status_changed_at=when)


def make_group(centre, planned_start, *, status=Group.Status.PLANNED, name="Tirsdagsgruppa"):
    return Group.objects.create(
        centre=centre,
        name=name,
        kind=Group.Kind.ACROSS,
        format=Group.Format.PHYSICAL,
        venue="Møterom 1",
        weekday=planned_start.weekday(),
        start_time=datetime.time(18),
        planned_start=planned_start,
        status=status,
    )


def section(response, key):
    return next(s for s in response.context["today_sections"] if s.section.key == key).rows


def fill(centre, facilitator, n, start=0):
    """`n` of everything each section lists, at `centre`."""
    for i in range(start, start + n):
        new = factories.IntakeFactory(centre=centre)
        received(new, NOW - datetime.timedelta(days=10 + i))
        waiting = factories.IntakeFactory(centre=centre, status=Intake.Status.WAITING)
        waiting.availability.set(Slot.objects.filter(weekday=i % 7)[:2])
        gone = factories.IntakeFactory(centre=centre, status=Intake.Status.WITHDRAWN)
        StatusChange.objects.create(intake=gone, from_status="new", to_status="withdrawn")
        planned = make_group(centre, TODAY + datetime.timedelta(days=5 + i), name=f"Planlagt {i}")
        if i % 2:
            Assignment.objects.create(group=planned, facilitator=facilitator)
        started = make_group(
            centre,
            TODAY - datetime.timedelta(weeks=11) + datetime.timedelta(days=i),
            status=Group.Status.STARTED,
            name=f"Startet {i}",
        )
        Meeting.objects.create(
            group=started, sequence=1, start=NOW + datetime.timedelta(days=1, hours=i)
        )
        FollowUp.objects.create(
            group=started, kind=FollowUp.Kind.START_UP, due_on=TODAY - datetime.timedelta(days=i)
        )
        OutboundMessage.objects.create(
            centre=centre,
            channel="email",
            recipient=f"p{i}@example.org",
            message_type="intake_confirmation",
            dedup_key=f"test-failed-{centre.pk}-{i}",
            status=OutboundMessage.Status.FAILED,
            due_at=NOW,
            attempts=5,
        )


def test_the_start_page_is_the_today_page(staff_client):
    response = staff_client.get(INDEX)
    assert response.status_code == 200
    assert response.context["title"] == "I dag"
    keys = [s.section.key for s in response.context["today_sections"]]
    assert keys[:3] == ["new-forms", "erasure-requests", "ready"]
    for key in [
        "short-of-facilitators",
        "follow-ups",
        "meetings",
        "failed-messages",
        "week-twelve",
        "withdrawals",
    ]:
        assert key in keys


def test_page_costs_the_same_queries_with_1_or_12_of_everything(staff, client, centre, facilitator):
    client.force_login(staff)
    fill(centre, facilitator, 1)
    client.get(INDEX)  # the first visit writes the visit row
    with CaptureQueriesContext(connection) as small:
        response = client.get(INDEX)
    assert section(response, "new-forms").count == 1
    fill(centre, facilitator, 11, start=1)
    with CaptureQueriesContext(connection) as large:
        response = client.get(INDEX)
    assert section(response, "new-forms").count == 12
    assert len(section(response, "new-forms").rows) == 10
    assert len(large.captured_queries) == len(small.captured_queries)
    # 32, and one query each for the groups' "left by their link" and the
    # facilitators' "visits asked for" sections (issue 21).
    assert len(large.captured_queries) <= 34, len(large.captured_queries)
    print("today page queries:", len(large.captured_queries))


def test_new_forms_oldest_first_with_working_days_and_late_mark(staff_client, centre):
    old = factories.IntakeFactory(centre=centre, name="Eldste Person")
    received(old, datetime.datetime(2026, 12, 21, 12, tzinfo=OSLO))  # a Monday
    fresh = factories.IntakeFactory(centre=centre, name="Ny Person")
    received(fresh, datetime.datetime(2027, 1, 5, 12, tzinfo=OSLO))
    factories.IntakeFactory(centre=centre, status=Intake.Status.CONTACTED)
    rows = section(staff_client.get(INDEX), "new-forms")
    assert rows.count == 2
    assert [r.label for r in rows.rows] == [old.name_and_reference, fresh.name_and_reference]
    assert rows.rows[0].url == reverse("admin:intake_intake_change", args=[old.pk])
    # 21 Dec to 6 Jan: 12 weekdays, less Christmas Day and New Year's Day
    # (Boxing Day is a Saturday).
    assert " 10 " in rows.rows[0].detail
    assert rows.rows[0].late and not rows.rows[1].late


def test_the_promise_is_the_centres(staff_client, centre):
    centre.usual_response_days = 10
    centre.save()
    old = factories.IntakeFactory(centre=centre)
    received(old, datetime.datetime(2026, 12, 21, 12, tzinfo=OSLO))
    assert not section(staff_client.get(INDEX), "new-forms").rows[0].late


def test_working_days_skip_weekends_and_holidays():
    monday = datetime.date(2027, 1, 4)
    assert working_days_between(monday, monday + datetime.timedelta(days=2)) == 2
    assert working_days_between(monday, monday + datetime.timedelta(days=7)) == 5
    # Maundy Thursday to Easter Monday 2027 (25-29 March): none.
    assert working_days_between(datetime.date(2027, 3, 25), datetime.date(2027, 3, 30)) == 0
    assert working_days_between(monday, monday) == 0


def test_ready_section_counts_by_time_of_week_and_format(staff_client, centre):
    monday_evening = Slot.objects.get(weekday=0, part="evening")
    tuesday_morning = Slot.objects.get(weekday=1, part="morning")
    a = factories.IntakeFactory(centre=centre, status=Intake.Status.WAITING, format="digital")
    a.availability.set([monday_evening, tuesday_morning])
    b = factories.IntakeFactory(centre=centre, status=Intake.Status.WAITING, format="physical")
    b.availability.set([monday_evening])
    factories.IntakeFactory(centre=centre, status=Intake.Status.NEW).availability.set(
        [monday_evening]
    )
    rows = section(staff_client.get(INDEX), "ready")
    assert rows.count == 2
    parts = list(Slot.Part.values)
    monday = rows.extra["by_time"][0]["counts"]
    assert monday[parts.index("evening")] == 2
    assert rows.extra["by_time"][1]["counts"][parts.index("morning")] == 1
    assert dict(rows.extra["by_format"]) == {
        "Møte ansikt til ansikt": 1,
        "Møte på video": 1,
        "Begge deler passer": 0,
    } or sorted(count for _label, count in rows.extra["by_format"]) == [0, 1, 1]


def test_ready_section_links_to_suggestions_only_when_they_exist(staff_client, centre):
    factories.IntakeFactory(centre=centre, status=Intake.Status.WAITING)
    response = staff_client.get(INDEX)
    try:
        url = reverse("admin:groups_suggestions")
    except Exception:
        url = ""
    assert section(response, "ready").extra["suggestions_url"] == url


def test_groups_short_of_facilitators(staff_client, centre, facilitator, other_facilitator):
    none = make_group(centre, TODAY + datetime.timedelta(days=3), name="Ingen")
    one = make_group(centre, TODAY + datetime.timedelta(days=10), name="En")
    Assignment.objects.create(group=one, facilitator=facilitator)
    two = make_group(centre, TODAY + datetime.timedelta(days=4), name="To")
    Assignment.objects.create(group=two, facilitator=facilitator)
    Assignment.objects.create(group=two, facilitator=other_facilitator)
    make_group(centre, TODAY + datetime.timedelta(days=20), name="Senere")
    rows = section(staff_client.get(INDEX), "short-of-facilitators")
    assert [r.label for r in rows.rows] == ["Ingen", "En"]
    assert rows.rows[0].late and not rows.rows[1].late
    assert rows.rows[0].url.startswith(reverse("admin:groups_group_change", args=[none.pk]))


def test_follow_ups_due_or_overdue(staff_client, centre):
    group = make_group(centre, TODAY - datetime.timedelta(weeks=5), status=Group.Status.STARTED)
    overdue = FollowUp.objects.create(
        group=group, kind=FollowUp.Kind.START_UP, due_on=TODAY - datetime.timedelta(days=2)
    )
    FollowUp.objects.create(group=group, kind=FollowUp.Kind.VISIT, due_on=TODAY)
    FollowUp.objects.create(
        group=group, kind=FollowUp.Kind.VISIT, due_on=TODAY + datetime.timedelta(days=1)
    )
    rows = section(staff_client.get(INDEX), "follow-ups")
    assert rows.count == 2
    assert rows.rows[0].url == reverse("admin:facilitators_followup_change", args=[overdue.pk])
    assert rows.rows[0].late and not rows.rows[1].late


def test_this_weeks_meetings_say_moved_and_cancelled(staff_client, centre):
    group = make_group(centre, TODAY - datetime.timedelta(weeks=2), status=Group.Status.STARTED)
    Meeting.objects.create(group=group, sequence=3, start=NOW + datetime.timedelta(hours=9))
    Meeting.objects.create(
        group=group, sequence=4, start=NOW + datetime.timedelta(days=1), cancelled=True
    )
    Meeting.objects.create(
        group=group,
        sequence=5,
        start=NOW + datetime.timedelta(days=2),
        moved_from=NOW + datetime.timedelta(days=1, hours=2),
    )
    Meeting.objects.create(group=group, sequence=6, start=NOW + datetime.timedelta(days=7))
    rows = section(staff_client.get(INDEX), "meetings")
    assert rows.count == 3 and rows.extra["changed"] == 2
    assert [r.detail.split(" ")[0] for r in rows.rows] == ["Møte", "Avlyst.", "Flyttet"]


def test_groups_reaching_week_twelve(staff_client, centre):
    soon = make_group(
        centre, TODAY - datetime.timedelta(weeks=10), status=Group.Status.STARTED, name="Snart"
    )
    make_group(centre, TODAY - datetime.timedelta(weeks=6), status=Group.Status.STARTED)
    rows = section(staff_client.get(INDEX), "week-twelve")
    assert [r.label for r in rows.rows] == [soon.name]


def test_failed_messages(staff_client, centre, other_centre):
    for c, key in [(centre, "a"), (other_centre, "b")]:
        OutboundMessage.objects.create(
            centre=c,
            channel="sms",
            recipient="+4791234567",
            message_type="intake_confirmation",
            dedup_key=key,
            status=OutboundMessage.Status.FAILED,
            due_at=NOW,
        )
    rows = section(staff_client.get(INDEX), "failed-messages")
    assert rows.count == 1


def test_withdrawals_since_the_last_visit(staff, client, centre, clock):
    def open_page():
        client.force_login(staff)  # a staff session ends after some idle hours
        return client.get(INDEX)

    open_page()
    clock.shift(datetime.timedelta(hours=20))
    gone = factories.IntakeFactory(centre=centre, status=Intake.Status.WITHDRAWN)
    StatusChange.objects.create(intake=gone, from_status="new", to_status="withdrawn")
    clock.shift(datetime.timedelta(hours=1))
    rows = section(open_page(), "withdrawals")
    assert [r.label for r in rows.rows] == [gone.name_and_reference]
    # Opened again an hour later: the same visit, still shown.
    clock.shift(datetime.timedelta(hours=1))
    assert section(open_page(), "withdrawals").count == 1
    # The next morning: a new visit, nothing new since.
    clock.shift(datetime.timedelta(hours=20))
    assert section(open_page(), "withdrawals").count == 0
    assert TodayVisit.objects.count() == 1


def test_staff_see_only_their_centres(staff_client, other_centre):
    factories.IntakeFactory(centre=other_centre)
    response = staff_client.get(INDEX)
    assert section(response, "new-forms").count == 0
    assert response.context["today_centres"] == []


def test_superuser_sees_all_centres_and_can_filter(client, superuser, centre, other_centre):
    client.force_login(superuser)
    factories.IntakeFactory(centre=centre)
    factories.IntakeFactory(centre=other_centre)
    response = client.get(INDEX)
    assert section(response, "new-forms").count == 2
    assert {c.pk for c in response.context["today_centres"]} == {centre.pk, other_centre.pk}
    response = client.get(INDEX, {"centre": other_centre.pk})
    assert section(response, "new-forms").count == 1
    assert "selected>LINK Oslo" in response.content.decode()


def test_staff_cannot_filter_to_another_centre(client, centre, other_centre):
    staff = factories.StaffFactory(centres=[centre])
    client.force_login(staff)
    factories.IntakeFactory(centre=other_centre)
    response = client.get(INDEX, {"centre": other_centre.pk})
    assert section(response, "new-forms").count == 0


def test_anonymous_is_sent_to_login(client):
    assert client.get(INDEX).status_code == 302


def test_the_page_shows_empty_states(staff_client):
    body = staff_client.get(INDEX).content.decode()
    assert "Alle som har sendt skjema, er kontaktet." in body or "today-empty" in body
