"""A group asks a facilitator back: those who started it and staff hear; one answers."""

import datetime

import pytest
from django.urls import reverse

from facilitators import services, visits
from facilitators.models import FollowUp, VisitDecline
from facilitators.services import FacilitatorError
from facilitators.today import visit_requests_section
from groups import members
from groups import services as group_services
from groups.members import MemberLinkError
from selvhjelp.messaging import render_message
from selvhjelp.models import Centre, OutboundMessage
from tests.facilitators.conftest import FIRST, at
from tests.factories import FacilitatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(group, assignment, staff, clock):
    """The group has met twice and runs itself; its facilitator has withdrawn."""
    clock.move_to(at(FIRST + datetime.timedelta(days=8), 21))
    group_services.start_group(group=group, actor=staff)
    services.withdraw_facilitator(assignment=assignment, actor=staff)
    group_services.mark_self_run(group=group, actor=staff)
    return group


@pytest.fixture
def anne(started):
    return started.memberships.get(intake__name__startswith="Anne")


def test_a_member_asks_and_the_former_facilitators_and_staff_hear(
    anne, facilitator, staff, other_facilitator
):
    visit = members.ask_for_visit(membership=anne)
    assert visit.kind == FollowUp.Kind.VISIT and visit.asked_by == anne
    assert not visit.is_done and visit.visitor is None
    asked = OutboundMessage.objects.filter(message_type="visit_requested")
    assert {m.recipient for m in asked} == {facilitator.user.email, staff.email}
    to_facilitator = render_message(asked.get(recipient=facilitator.user.email)).body
    assert reverse("facilitators:visit", args=[visit.pk]) in to_facilitator
    assert "Anne" not in to_facilitator  # never who asked


def test_one_request_at_a_time(anne, started):
    members.ask_for_visit(membership=anne)
    bjorn = started.memberships.get(intake__name__startswith="Bjørn")
    with pytest.raises(MemberLinkError, match="allerede bedt om besøk"):
        members.ask_for_visit(membership=bjorn)


def test_a_group_that_has_not_started_cannot_ask(group):
    with pytest.raises(MemberLinkError, match="ikke startet"):
        members.ask_for_visit(membership=group.memberships.first())


def test_a_former_facilitator_picks_a_meeting_and_the_group_is_told(anne, started, facilitator):
    visit = members.ask_for_visit(membership=anne)
    meeting = visits.meetings_to_choose(started)[1]
    visits.plan_visit(visit=visit, facilitator=facilitator, meeting=meeting)
    visit.refresh_from_db()
    assert visit.visitor == facilitator and visit.meeting == meeting
    assert visit.due_on == meeting.start.astimezone(datetime.UTC).date()
    told = OutboundMessage.objects.filter(message_type="visit_planned")
    assert told.count() == started.memberships.active().count()
    body = render_message(told.first()).body
    assert facilitator.user.first_name in body
    assert facilitator.user.last_name not in body
    assert facilitator.user.email not in body
    assert visits.open_visits(started).get() == visit  # planned ahead: still open
    with pytest.raises(FacilitatorError):
        visits.plan_visit(visit=visit, facilitator=facilitator, meeting=meeting)


def test_the_invited_back_visit_of_a_follow_up_is_answered_the_same_way(
    started, facilitator, staff
):
    follow_up = FollowUp.objects.get(group=started, kind=FollowUp.Kind.START_UP)
    today = FIRST + datetime.timedelta(days=8)
    services.complete_follow_up(
        follow_up=follow_up,
        done_on=today,
        outcome=FollowUp.Outcome.INVITED_BACK,
        visit_on=today + datetime.timedelta(days=20),
        actor=staff,
    )
    visit = FollowUp.objects.get(group=started, kind=FollowUp.Kind.VISIT)
    assert visit.requested_by == follow_up
    meeting = visits.meetings_to_choose(started)[2]
    visits.plan_visit(visit=visit, facilitator=facilitator, meeting=meeting)
    visit.refresh_from_db()
    assert visit.meeting == meeting  # one visit, one way to record it
    assert FollowUp.objects.filter(group=started, kind=FollowUp.Kind.VISIT).count() == 1


def test_a_facilitator_declines_with_a_note_for_staff_only(anne, started, facilitator, staff):
    visit = members.ask_for_visit(membership=anne)
    visits.decline_visit(visit=visit, facilitator=facilitator, note="Er bortreist  i mars")
    assert VisitDecline.objects.get().note == "Er bortreist i mars"
    told = OutboundMessage.objects.get(message_type="visit_declined")
    assert told.recipient == staff.email
    assert "bortreist" not in render_message(told).body + str(told.context)
    with pytest.raises(FacilitatorError, match="allerede sagt"):
        visits.decline_visit(visit=visit, facilitator=facilitator)
    section = visit_requests_section(
        Centre.objects.filter(pk=started.centre_id), datetime.date(2027, 1, 28), None
    )
    assert section.count == 1
    assert "Er bortreist i mars" in section.rows[0].detail
    assert visit not in visits.visits_to_answer(facilitator)


def test_only_facilitators_who_started_the_group_may_answer(anne, centre):
    stranger = FacilitatorFactory(centres=[centre])
    visit = members.ask_for_visit(membership=anne)
    with pytest.raises(FacilitatorError, match="Bare igangsetterne"):
        visits.decline_visit(visit=visit, facilitator=stranger)


def test_the_answer_page_is_for_the_groups_facilitators(anne, started, facilitator, client, centre):
    visit = members.ask_for_visit(membership=anne)
    url = reverse("facilitators:visit", args=[visit.pk])
    stranger = FacilitatorFactory(centres=[centre])
    client.force_login(stranger.user)
    assert client.get(url).status_code == 404
    client.force_login(facilitator.user)
    page = client.get(reverse("facilitators:overview")).content.decode()
    assert url in page
    meeting = visits.meetings_to_choose(started)[0]
    response = client.post(url, {"answer": "come"})
    assert "Velg møtet du kommer på." in response.content.decode()
    response = client.post(url, {"answer": "come", "meeting": meeting.pk})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.meeting == meeting


def test_a_former_facilitator_sees_the_visit_they_make_and_has_it_in_their_calendar(
    anne, started, facilitator, client
):
    import icalendar

    visit = members.ask_for_visit(membership=anne)
    meeting = visits.meetings_to_choose(started)[0]
    visits.plan_visit(visit=visit, facilitator=facilitator, meeting=meeting)
    visit.refresh_from_db()
    client.force_login(facilitator.user)
    page = client.get(reverse("facilitators:overview")).content.decode()
    assert "Du besøker «Tirsdagsgruppa»" in page
    feed = client.get(reverse("facilitators:calendar-feed", args=[facilitator.calendar_token]))
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert [e.decoded("dtstart") for e in events if str(e["uid"]).startswith("follow-up-")] == [
        visit.due_on
    ]
