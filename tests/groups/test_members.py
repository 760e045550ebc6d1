"""A member's link: can't come, take it back, leave; every notice once, first names only."""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.utils import timezone

from facilitators import services as facilitator_services
from groups import members, services
from groups.members import MemberLinkError
from groups.models import Absence, Membership
from groups.today import left_members_section
from intake.models import Intake
from selvhjelp.messaging import render_message
from selvhjelp.models import Centre, MessageOptOut, OutboundMessage
from tests.groups.conftest import FIRST

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(form, people):
    """The standard group; Frode wants texts (a mobile number), the others e-mail."""
    frode = people[-1]
    frode.phone = "+4791234567"
    frode.contact_by = Intake.ContactBy.SMS
    frode.save()
    return form(people)


@pytest.fixture
def anne(group):
    return group.memberships.get(intake__name="Anne Berg")


@pytest.fixture
def first_meeting(group):
    return group.meetings.order_by("start").first()


def notices(message_type):
    return OutboundMessage.objects.filter(message_type=message_type)


def contact_details_of_everyone(group):
    details = set()
    for intake in Intake.objects.filter(memberships__group=group):
        details |= {intake.email, str(intake.phone), intake.name.split()[-1]} - {""}
    return details


# --- The link ---------------------------------------------------------------------------


def test_each_member_has_an_opaque_unguessable_token_of_their_own(group):
    tokens = list(group.memberships.values_list("link_token", flat=True))
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert len(token) >= 40
        assert not token.isdigit()


def test_a_wrong_token_finds_nothing(anne):
    assert members.member_for(anne.link_token) == anne
    for wrong in ("", anne.link_token[:-1], str(anne.pk), "x" * 100):
        with pytest.raises(Http404):
            members.member_for(wrong)


def test_the_welcome_carries_the_link_only_when_sent(anne):
    welcome = OutboundMessage.objects.get(message_type="group_welcome", object_id=anne.pk)
    assert anne.link_token not in str(welcome.context)
    assert f"/min-gruppe/{anne.link_token}/" in render_message(welcome).body
    assert anne.link_token not in render_message(welcome, preview=True).body


# --- Can't come ---------------------------------------------------------------------------


def test_the_others_are_told_by_their_own_channel_with_a_first_name(anne, group, first_meeting):
    members.report_absence(membership=anne, meeting=first_meeting)
    sent = notices("member_absent")
    assert sent.count() == 5  # the five others, not Anne
    assert not sent.filter(person_id=anne.intake_id).exists()
    by_sms = sent.get(channel=OutboundMessage.Channel.SMS)
    assert by_sms.recipient == "+4791234567"
    body = render_message(by_sms).body
    assert "Anne kan ikke komme" in body and "tirsdag 19. januar" in body
    for message in sent:
        text = render_message(message)
        assert "Berg" not in text.subject + text.body
        assert anne.intake.email not in text.subject + text.body


def test_saying_it_twice_tells_nobody_twice(anne, first_meeting):
    members.report_absence(membership=anne, meeting=first_meeting)
    members.report_absence(membership=anne, meeting=first_meeting)
    assert notices("member_absent").count() == 5
    assert Absence.objects.get().revision == 0


def test_taking_it_back_tells_the_others_again_and_so_does_saying_it_again(anne, first_meeting):
    members.report_absence(membership=anne, meeting=first_meeting)
    members.take_back_absence(membership=anne, meeting=first_meeting)
    assert notices("member_coming_after_all").count() == 5
    assert not Absence.objects.get().is_active
    members.take_back_absence(membership=anne, meeting=first_meeting)  # nothing to take back
    assert notices("member_coming_after_all").count() == 5
    members.report_absence(membership=anne, meeting=first_meeting)
    assert notices("member_absent").count() == 10
    assert Absence.objects.get().is_active


def test_nothing_can_be_changed_once_the_meeting_has_begun(anne, first_meeting, today):
    members.report_absence(membership=anne, meeting=first_meeting)
    today.move_to(first_meeting.start + datetime.timedelta(minutes=1))
    with pytest.raises(MemberLinkError, match="allerede begynt"):
        members.take_back_absence(membership=anne, meeting=first_meeting)
    with pytest.raises(MemberLinkError):
        members.report_absence(membership=anne, meeting=first_meeting)


def test_a_cancelled_meeting_or_another_groups_meeting_is_refused(
    anne, group, first_meeting, staff, form, make_person
):
    from groups import meetings as group_meetings

    group_meetings.cancel_meeting(meeting=first_meeting, reason="Sykdom", actor=staff)
    with pytest.raises(MemberLinkError, match="avlyst"):
        members.report_absence(membership=anne, meeting=first_meeting)
    other = form(
        [make_person(f"Person{n} Ny") for n in range(4)], name="Andre", accept_warnings=True
    )
    with pytest.raises(Http404):
        members.report_absence(membership=anne, meeting=other.meetings.first())


def test_a_member_who_stopped_reminders_can_still_tell_the_group(anne, first_meeting):
    MessageOptOut.objects.create(
        content_type=ContentType.objects.get_for_model(Membership),
        object_id=anne.pk,
        message_type="group_first_meeting_reminder",
        centre=anne.group.centre,
    )
    members.report_absence(membership=anne, meeting=first_meeting)
    assert notices("member_absent").count() == 5


def test_facilitators_are_told_while_they_attend(
    anne, group, first_meeting, facilitator, other_facilitator, staff
):
    facilitator_services.assign_facilitator(
        group=group, facilitator=facilitator, meetings_attended=2, actor=staff
    )
    second, third = group.meetings.order_by("start")[1:3]
    members.report_absence(membership=anne, meeting=second)
    members.report_absence(membership=anne, meeting=third)
    to_facilitator = notices("member_absent").filter(person_id=facilitator.pk)
    to_facilitator = [m for m in to_facilitator if m.person_type.model == "facilitator"]
    assert [m.context["meeting_id"] for m in to_facilitator] == [second.pk]
    assert "Anne kan ikke komme" in render_message(to_facilitator[0]).body


def test_facilitators_see_how_many_are_expected(anne, group, first_meeting):
    second = group.meetings.order_by("start")[1]
    members.report_absence(membership=anne, meeting=first_meeting)
    bjorn = group.memberships.get(intake__name="Bjørn Dahl")
    members.report_absence(membership=bjorn, meeting=first_meeting)
    members.take_back_absence(membership=bjorn, meeting=first_meeting)
    assert members.expected_counts([first_meeting, second]) == {
        first_meeting.pk: 5,
        second.pk: 6,
    }


def test_a_notice_for_a_meeting_cancelled_before_sending_is_not_sent(anne, first_meeting, staff):
    from groups import meetings as group_meetings

    members.report_absence(membership=anne, meeting=first_meeting)
    waiting = list(notices("member_absent"))
    group_meetings.cancel_meeting(meeting=first_meeting, reason="Sykdom", actor=staff)
    assert members.absence_notices_still_relevant(waiting) == set()


# --- Leaving -----------------------------------------------------------------------------------


def test_leaving_ends_the_membership_and_tells_the_group_a_first_name(anne, group, today):
    members.leave_group(membership=anne)
    anne.refresh_from_db()
    assert anne.left_on == timezone.localdate()
    assert anne.left_by_member
    assert anne.intake.status == Intake.Status.CLOSED
    sent = notices("member_left")
    assert sent.count() == 5
    for message in sent:
        text = render_message(message)
        assert "Anne har gått ut av gruppen" in text.body
        assert "Berg" not in text.subject + text.body
    with pytest.raises(MemberLinkError):
        members.leave_group(membership=anne)
    with pytest.raises(MemberLinkError):
        members.report_absence(membership=anne, meeting=group.meetings.first())


def test_staff_see_who_left_on_their_start_page(anne, group, centre, other_centre):
    members.leave_group(membership=anne)
    section = left_members_section(Centre.objects.filter(pk=centre.pk), timezone.localdate(), None)
    assert section.count == 1
    assert anne.intake.reference in section.rows[0].label
    assert "Tirsdagsgruppa" in section.rows[0].detail
    others = left_members_section(
        Centre.objects.filter(pk=other_centre.pk), timezone.localdate(), None
    )
    assert others.count == 0


def test_staff_removing_a_member_is_not_listed_as_leaving_by_link(anne, staff):
    services.remove_member(
        membership=anne,
        left_on=timezone.localdate(),
        reason="Flyttet",
        intake_status=Intake.Status.CLOSED,
        actor=staff,
    )
    assert not members.left_by_members(Centre.objects.all(), FIRST - datetime.timedelta(30))


# --- No member's contact details reach another member -------------------------------------------


def test_no_message_to_a_member_carries_anyone_elses_contact_details(anne, group, first_meeting):
    members.report_absence(membership=anne, meeting=first_meeting)
    members.take_back_absence(membership=anne, meeting=first_meeting)
    bjorn = group.memberships.get(intake__name="Bjørn Dahl")
    members.leave_group(membership=bjorn)
    details = contact_details_of_everyone(group)
    for message in OutboundMessage.objects.filter(
        message_type__in=["member_absent", "member_coming_after_all", "member_left"]
    ):
        text = render_message(message)
        found = {d for d in details if d in text.subject + text.body}
        assert found == set(), (message.message_type, found)
        own = {message.recipient}
        others = {d for d in details if "@" in d or d.startswith("+")} - own
        assert not any(d in str(message.context) for d in others)
        assert not re.search(r"\+47\d{8}", text.body)


def test_the_today_page_shows_who_left_by_their_link(anne, group, staff_client):
    members.leave_group(membership=anne)
    page = staff_client.get("/admin/").content.decode()
    assert "Deltakere som har gått ut av gruppen via lenken sin" in page
    assert anne.intake.reference in page
