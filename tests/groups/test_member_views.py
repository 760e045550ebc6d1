"""The member's pages under /min-gruppe/<token>/: the link is the key, changes only on POST."""

import pytest
from django.urls import reverse

from groups import members
from groups.models import Absence
from intake.models import Intake
from selvhjelp.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def anne(group):
    return group.memberships.get(intake__name="Anne Berg")


@pytest.fixture
def meeting(group):
    return group.meetings.order_by("start").first()


def page_url(membership, name="groups:member", *args):
    return reverse(name, args=[membership.link_token, *args])


def test_the_page_shows_the_members_own_first_name_and_no_one_elses_details(client, anne, group):
    html = client.get(page_url(anne)).content.decode()
    assert "Hei Anne" in html
    assert "Tirsdagsgruppa" in html and "tirsdag 19. januar" in html
    for other in Intake.objects.filter(memberships__group=group):
        assert other.email not in html
        assert other.name not in html  # not even Anne's surname
    assert html.count("Jeg kan ikke komme") == members.MEETINGS_SHOWN


def test_a_wrong_token_is_a_404_everywhere(client, anne, meeting):
    wrong = anne.link_token[:-2] + "xx"
    for name, args in [
        ("groups:member", []),
        ("groups:leave", []),
        ("groups:ask-for-visit", []),
        ("groups:calendar", []),
    ]:
        assert client.get(reverse(name, args=[wrong, *args])).status_code == 404
    url = reverse("groups:cannot-come", args=[wrong, meeting.pk])
    assert client.post(url).status_code == 404
    assert not Absence.objects.exists()


def test_opening_a_link_changes_nothing(client, anne, meeting):
    assert client.get(page_url(anne, "groups:cannot-come", meeting.pk)).status_code == 405
    assert client.get(page_url(anne, "groups:leave")).status_code == 200
    anne.refresh_from_db()
    assert anne.is_active
    assert not Absence.objects.exists()


def test_cannot_come_and_take_it_back_through_the_page(client, anne, meeting):
    response = client.post(page_url(anne, "groups:cannot-come", meeting.pk), follow=True)
    html = response.content.decode()
    assert "gruppen får beskjed om at du ikke kan komme" in html
    assert "Du har sagt fra at du ikke kan komme" in html
    assert OutboundMessage.objects.filter(message_type="member_absent").count() == 5
    response = client.post(page_url(anne, "groups:coming-after-all", meeting.pk), follow=True)
    assert "likevel kommer" in response.content.decode()
    assert OutboundMessage.objects.filter(message_type="member_coming_after_all").count() == 5


def test_another_groups_meeting_is_a_404(client, anne, form, make_person):
    other = form([make_person(f"P{n} Q") for n in range(4)], name="Andre", accept_warnings=True)
    url = page_url(anne, "groups:cannot-come", other.meetings.first().pk)
    assert client.post(url).status_code == 404


def test_leaving_through_the_page(client, anne):
    response = client.post(page_url(anne, "groups:leave"), follow=True)
    html = response.content.decode()
    assert "Du har gått ut av gruppen" in html
    assert "kan ikke brukes lenger" in html
    anne.refresh_from_db()
    assert anne.left_by_member
    # The link still answers, but can do nothing more.
    assert client.post(page_url(anne, "groups:leave")).status_code == 302
    assert OutboundMessage.objects.filter(message_type="member_left").count() == 5


def test_asking_for_a_visit_before_the_group_has_started_says_why(client, anne):
    response = client.post(page_url(anne, "groups:ask-for-visit"), follow=True)
    assert "ikke startet ennå" in response.content.decode()


def test_the_calendar_answers_with_an_icalendar(client, anne):
    response = client.get(page_url(anne, "groups:calendar"))
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in response.content
