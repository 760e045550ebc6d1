"""A placed person's status page: when and where their group meets, and nobody else in it."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from groups import services
from groups.meetings import cancel_meeting
from intake import status
from selvhjelp.dates import OSLO

from .conftest import FIRST


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


def page_of(client, intake):
    url = reverse("intake:status", kwargs={"token": status.status_token(intake)})
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_placed_person_sees_when_and_where_the_group_starts(client, group, people):
    html = page_of(client, people[0])

    assert 'aria-current="step">Plass i en gruppe' in html
    assert "tirsdag 19. januar" in html and "18:00" in html
    assert "Arna frivilligsentral, møterom 2" in html
    # Nobody else in the group, and no way left to withdraw by the link.
    for other in people[1:]:
        assert other.first_name not in html
    assert "/meld-interesse/trekk/" not in html


def test_a_video_group_gives_no_address_on_the_page(client, centre, form, people):
    centre.runs_digital_groups = True
    centre.save()
    form(people, format="digital", venue="", video_link="https://video.example.no/abc")
    html = page_of(client, people[0])
    assert "på video" in html
    assert "video.example.no" not in html


def test_once_started_the_page_shows_the_next_meeting(client, group, people, staff, today):
    today.move_to(datetime.datetime.combine(FIRST, datetime.time(21), tzinfo=OSLO))
    services.start_group(group=group, actor=staff)
    second = group.meetings.order_by("start")[1]
    cancel_meeting(meeting=second, reason="Ferie", actor=staff)

    html = page_of(client, people[0])

    assert 'aria-current="step">Gruppen har startet' in html
    # The cancelled meeting is skipped: the next is the third Tuesday.
    assert "tirsdag 2. februar" in html


def test_someone_who_left_the_group_sees_their_form_again(client, group, people, staff):
    membership = group.memberships.get(intake=people[0])
    services.remove_member(
        membership=membership,
        left_on=datetime.date(2027, 1, 4),
        reason="Flyttet",
        intake_status="waiting",
        actor=staff,
    )
    html = page_of(client, people[0])
    assert 'aria-current="step">Venter på en gruppe' in html


@pytest.mark.parametrize("started", [False, True])
def test_the_page_costs_the_same_queries_in_a_group(
    client, group, people, staff, today, started, django_assert_max_num_queries
):
    if started:
        with time_machine.travel(datetime.datetime.combine(FIRST, datetime.time(21), tzinfo=OSLO)):
            services.start_group(group=group, actor=staff)
    with django_assert_max_num_queries(8):
        page_of(client, people[0])
