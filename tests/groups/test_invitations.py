"""Forming a group tells staff who will be told what; invitations now, or held and sent later."""

import pytest

from facilitators.models import Assignment
from groups import services
from groups.models import Group, GroupRuleError
from selvhjelp.models import OutboundMessage
from tests.groups.test_admin import INTAKES, frame_data, page, selection

pytestmark = pytest.mark.django_db


def welcomes():
    return OutboundMessage.objects.filter(message_type="group_welcome")


def test_held_invitations_send_nothing_until_staff_send_them(form, people, staff):
    group = form(people, send_invitations=False)

    assert group.invitations_held and not welcomes().exists()
    assert services.send_invitations(group=group, actor=staff) == 6
    group.refresh_from_db()
    assert not group.invitations_held
    assert welcomes().count() == 6


def test_invitations_are_sent_once(form, people, staff):
    group = form(people, send_invitations=False)
    services.send_invitations(group=group, actor=staff)

    with pytest.raises(GroupRuleError):
        services.send_invitations(group=group, actor=staff)
    assert welcomes().count() == 6


def test_a_group_formed_with_invitations_now_tells_everyone(form, people):
    group = form(people)
    assert not group.invitations_held and welcomes().count() == 6


def test_held_groups_get_no_first_meeting_reminders(form, people, today):
    from groups.reminders import remind_first_meetings
    from tests.groups.conftest import FIRST

    form(people, send_invitations=False)
    today.move_to(FIRST.replace(day=FIRST.day - 2).isoformat() + "T19:00:00+01:00")
    assert remind_first_meetings()["reminders"] == 0


def test_check_page_shows_each_message_and_both_buttons(staff_client, people, centre):
    data = {**selection(people), **frame_data(centre)}
    html = page(staff_client.post(INTAKES, {**data, "_check": ""}))

    assert html.count("<details>") == 6
    assert "Anne Berg" in html and "Du har fått plass" in html
    assert 'name="_form"' in html and 'name="_form_hold"' in html
    assert not OutboundMessage.objects.exists()


def test_forming_with_invitations_held_tells_nobody(staff_client, people, centre):
    data = {**selection(people), **frame_data(centre)}
    formed = staff_client.post(INTAKES, {**data, "_form_hold": ""})

    group = Group.objects.get()
    assert formed.status_code == 302 and group.invitations_held
    assert not welcomes().exists()
    html = staff_client.get(formed.url).content.decode()
    assert f"/admin/groups/group/{group.pk}/send-invitations/" in html


def test_staff_send_the_held_invitations_from_the_groups_page(staff_client, form, people):
    group = form(people, send_invitations=False)
    url = f"/admin/groups/group/{group.pk}/send-invitations/"

    assert staff_client.get(url).status_code == 200
    assert not welcomes().exists()
    response = staff_client.post(url, {})
    assert response.status_code == 302 and welcomes().count() == 6


def test_staff_of_another_centre_cannot_send_them(other_staff_client, form, people):
    group = form(people, send_invitations=False)
    url = f"/admin/groups/group/{group.pk}/send-invitations/"
    assert other_staff_client.post(url, {}).status_code == 404
    assert not welcomes().exists()


def test_facilitators_attend_the_number_asked_when_forming(
    staff_client, people, centre, facilitator, other_facilitator
):
    data = {
        **selection(people),
        **frame_data(centre),
        "group-facilitators": [facilitator.pk, other_facilitator.pk],
        "group-meetings_attended": "2",
    }
    html = page(staff_client.post(INTAKES, {**data, "_check": ""}))
    assert 'name="group-meetings_attended"' in html
    staff_client.post(INTAKES, {**data, "_form": ""})
    assert set(Assignment.objects.values_list("meetings_attended", flat=True)) == {2}


def test_the_centres_usual_number_is_filled_in(staff_client, people, centre):
    centre.facilitator_meetings = 4
    centre.save()
    response = staff_client.post(INTAKES, selection(people))
    assert response.context["frame"]["meetings_attended"].initial == 4
