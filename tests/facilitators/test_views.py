"""The facilitator's pages: the overview, a group, a follow-up, the calendar address."""

import datetime
import re

import pytest
from django.urls import reverse

from facilitators import services
from facilitators.models import FollowUp
from groups import meetings as group_meetings
from groups import services as group_services
from tests.facilitators.conftest import FIRST, SURNAMES, at
from tests.factories import hold_first_meeting

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("facilitators:overview")
WEEK = datetime.timedelta(weeks=1)


def text(response):
    """The page's main content as plain text, spaces collapsed."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def follow_up_url(follow_up):
    return reverse("facilitators:follow-up", args=[follow_up.pk])


# --- The overview -----------------------------------------------------------------


def test_overview_shows_the_group_with_first_names_and_the_count_only(
    facilitator_client, assignment
):
    page = text(facilitator_client.get(OVERVIEW))

    assert "Tirsdagsgruppa" in page
    assert "4 deltakere: Anne, Bjørn, Cecilie, David" in page
    assert not any(surname in page for surname in SURNAMES)
    assert "Arna frivilligsentral, møterom 2" in page
    assert "Hver tirsdag kl. 18:00" in page
    assert "Starter 19. januar 2027" in page


def test_overview_shows_the_week_number_once_the_group_has_met(
    facilitator_client, facilitator, assignment, clock
):
    clock.move_to(at(FIRST + 2 * WEEK, 21))
    facilitator_client.force_login(facilitator.user)  # the old session has expired

    assert "Uke 3" in text(facilitator_client.get(OVERVIEW))


def test_overview_shows_the_video_link_of_a_digital_group(
    facilitator_client, make_group, facilitator, staff, centre
):
    centre.runs_digital_groups = True
    centre.save()
    group = make_group(
        "Videogruppa", format="digital", venue="", video_link="https://video.example.no/abc"
    )
    services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)

    html = facilitator_client.get(OVERVIEW).content.decode()

    assert 'href="https://video.example.no/abc"' in html


def test_overview_lists_the_meetings_the_facilitator_attends(facilitator_client, assignment, staff):
    services.change_attendance(assignment=assignment, meetings_attended=2, actor=staff)

    page = text(facilitator_client.get(OVERVIEW))

    assert "tirsdag 19. januar kl. 18:00" in page
    assert "tirsdag 26. januar kl. 18:00" in page
    assert "tirsdag 2. februar" not in page
    assert "Ditt siste møte med gruppen" in page


def test_overview_shows_a_cancelled_meeting_as_cancelled(facilitator_client, assignment, staff):
    services.change_attendance(assignment=assignment, meetings_attended=2, actor=staff)
    meeting = assignment.group.meetings.get(sequence=2)
    group_meetings.cancel_meeting(meeting=meeting, reason="Lokalet er opptatt", actor=staff)

    page = text(facilitator_client.get(OVERVIEW))

    assert "tirsdag 26. januar kl. 18:00 Avlyst" in page
    assert "tirsdag 2. februar kl. 18:00" in page


def test_overview_leaves_out_meetings_that_are_over(
    facilitator_client, facilitator, assignment, clock
):
    clock.move_to(at(FIRST, 21))
    facilitator_client.force_login(facilitator.user)  # the old session has expired

    page = text(facilitator_client.get(OVERVIEW))

    assert "Du har ingen møter framover." in page


def test_overview_makes_an_overdue_follow_up_stand_out_in_words(
    facilitator_client, facilitator, assignment, clock
):
    clock.move_to(at(datetime.date(2027, 2, 18), 9))
    facilitator_client.force_login(facilitator.user)  # the old session has expired

    response = facilitator_client.get(OVERVIEW)

    assert "Forfalt" in text(response)
    assert "Skulle vært gjort tirsdag 16. februar" in text(response)
    assert 'class="fac-card fac-overdue"' in response.content.decode()


def test_overview_links_to_a_follow_up_that_is_not_yet_due(facilitator_client, assignment):
    follow_up = assignment.group.follow_ups.get()

    response = facilitator_client.get(OVERVIEW)

    assert follow_up_url(follow_up) in response.content.decode()
    assert "Gjøres innen tirsdag 16. februar." in text(response)
    assert "Forfalt" not in text(response)


def test_overview_says_what_to_do_when_there_is_nothing(facilitator_client):
    page = text(facilitator_client.get(OVERVIEW))

    assert "Ingen oppfølginger venter." in page
    assert "Du har ingen møter framover." in page
    assert "Du starter ingen gruppe ennå." in page


def test_overview_leaves_out_a_group_the_facilitator_was_withdrawn_from(
    facilitator_client, assignment, staff
):
    services.withdraw_facilitator(assignment=assignment, actor=staff)

    assert "Tirsdagsgruppa" not in text(facilitator_client.get(OVERVIEW))


def test_overview_shows_the_personal_calendar_address(facilitator_client, facilitator):
    html = facilitator_client.get(OVERVIEW).content.decode()

    assert f"/igangsetter/kalender/{facilitator.calendar_token}.ics" in html
    assert f"webcal://127.0.0.1:8000/igangsetter/kalender/{facilitator.calendar_token}.ics" in html


def add_groups(count, make_group, facilitator, staff):
    for number in range(count):
        group = make_group(f"Gruppe {number}")
        services.assign_facilitator(
            group=group, facilitator=facilitator, meetings_attended=2, actor=staff
        )


@pytest.mark.parametrize("count", [1, 20])
def test_overview_costs_the_same_queries_for_1_and_20_groups(
    facilitator_client, make_group, facilitator, staff, count, django_assert_num_queries
):
    add_groups(count, make_group, facilitator, staff)
    # session, user, facilitator, assignments with groups, members, meetings
    # held, meetings cancelled, follow-ups, visits groups ask for, visits to make
    with django_assert_num_queries(10):
        response = facilitator_client.get(OVERVIEW)

    assert response.content.decode().count('class="fac-card"') >= 2 * count


# --- The group page ----------------------------------------------------------------


def test_group_page_shows_the_schedule_with_cancelled_and_moved_meetings(
    facilitator_client, assignment, staff
):
    group = assignment.group
    group_meetings.cancel_meeting(
        meeting=group.meetings.get(sequence=3), reason="Lokalet er opptatt", actor=staff
    )
    group_meetings.move_meeting(
        meeting=group.meetings.get(sequence=4),
        date=FIRST + 3 * WEEK + datetime.timedelta(1),
        actor=staff,
    )

    page = text(facilitator_client.get(reverse("facilitators:group", args=[group.pk])))

    assert "Møte 1 tir 19. januar 2027 18:00 Du er med" in page
    assert "Møte 3 tir 2. februar 2027 18:00 Avlyst" in page
    assert "Møte 4 ons 10. februar 2027 18:00 Flyttet fra tir 9. februar 18:00." in page
    assert "Lokalet er opptatt" not in page
    assert "4 deltakere: Anne, Bjørn, Cecilie, David" in page


def test_group_page_shows_how_many_are_expected_at_each_meeting(facilitator_client, assignment):
    from groups import members as group_members

    group = assignment.group
    second = group.meetings.get(sequence=2)
    anne = group.memberships.get(intake__name__startswith="Anne")
    group_members.report_absence(membership=anne, meeting=second)

    page = text(facilitator_client.get(reverse("facilitators:group", args=[group.pk])))

    assert "Møte 1 tir 19. januar 2027 18:00 Du er med 4 ventet" in page
    assert "Møte 2 tir 26. januar 2027 18:00 Som planlagt 3 ventet" in page
    assert "Anne" not in page.split("Møter", 1)[1]  # who is away is not shown


def group_url(group):
    return reverse("facilitators:group", args=[group.pk])


@pytest.mark.parametrize("members", [4, 8])
def test_group_page_costs_the_same_queries_for_4_and_8_members(
    facilitator_client, make_group, facilitator, staff, members, django_assert_num_queries
):
    names = ["Anne", "Bjørn", "Cecilie", "David", "Eva", "Frode", "Gro", "Hans"][:members]
    group = make_group(members=names)
    services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    first = group.memberships.order_by("pk").first()
    hold_first_meeting(group)
    group_services.record_agreement(membership=first, actor=staff)
    # session, user, facilitator, assignment with group, held meetings,
    # cancelled meetings, members, whether the group has met, meetings,
    # follow-ups, and for how many are expected: members, notices of absence
    with django_assert_num_queries(12):
        response = facilitator_client.get(group_url(group))

    assert response.content.decode().count('/taushetsplikt/"') == members - 1


# --- Agreeing to confidentiality and notice of absence -------------------------------


def agreement_url(membership):
    return reverse("facilitators:record-agreement", args=[membership.group_id, membership.pk])


def anne(group):
    return group.memberships.get(intake__name__startswith="Anne ")


def test_group_page_has_a_button_per_member_named_with_the_first_name_only(
    facilitator_client, assignment
):
    group = assignment.group
    hold_first_meeting(group)

    response = facilitator_client.get(group_url(group))

    html = response.content.decode()
    section = html[html.index('id="taushetsplikt"') : html.index('id="follow-ups-title"')]
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", section, re.S)
    names = [re.search(r'class="ds-sr-only">\s*\((\w+)\)', b).group(1) for b in buttons]
    assert names == ["Anne", "Bjørn", "Cecilie", "David"]
    for membership in group.memberships.all():
        assert f'action="{agreement_url(membership)}"' in section
    assert section.count('name="csrfmiddlewaretoken"') == 4
    assert not any(surname in text(response) for surname in SURNAMES)


def test_group_page_shows_when_a_member_agreed_instead_of_the_button(
    facilitator_client, assignment, staff
):
    membership = anne(assignment.group)
    hold_first_meeting(assignment.group)
    group_services.record_agreement(
        membership=membership, actor=staff, at=at(datetime.date(2027, 1, 3), 18, 30)
    )

    response = facilitator_client.get(group_url(assignment.group))

    assert "Anne" in text(response)
    assert "3. januar 2027" in text(response)
    assert f'action="{agreement_url(membership)}"' not in response.content.decode()


def test_recording_an_agreement_marks_it_and_returns_to_the_group(facilitator_client, assignment):
    membership = anne(assignment.group)
    hold_first_meeting(assignment.group)

    response = facilitator_client.post(agreement_url(membership), follow=True)

    assert response.redirect_chain == [(group_url(assignment.group) + "#taushetsplikt", 302)]
    (message,) = response.context["messages"]
    assert message.level_tag == "success"
    assert "Anne" in str(message)
    assert not any(surname in str(message) for surname in SURNAMES)
    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is not None


def test_a_member_of_another_group_is_404_and_unchanged(
    facilitator_client, assignment, make_group, facilitator, staff
):
    other = make_group("Onsdagsgruppa", members=["Eva", "Frode", "Gro", "Hans"])
    services.assign_facilitator(group=other, facilitator=facilitator, actor=staff)
    stranger = other.memberships.first()
    url = reverse("facilitators:record-agreement", args=[assignment.group_id, stranger.pk])

    response = facilitator_client.post(url)

    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.confidentiality_agreed_at is None


def test_recording_twice_says_so_and_keeps_the_first_time(facilitator_client, assignment, staff):
    membership = anne(assignment.group)
    hold_first_meeting(assignment.group)
    first = at(datetime.date(2027, 1, 3), 18, 30)
    group_services.record_agreement(membership=membership, actor=staff, at=first)

    response = facilitator_client.post(agreement_url(membership), follow=True)

    assert response.redirect_chain == [(group_url(assignment.group), 302)]
    (message,) = response.context["messages"]
    assert message.level_tag == "error"
    assert "3. januar 2027" in str(message)
    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at == first


def test_an_anonymous_visitor_records_nothing(client, assignment):
    membership = anne(assignment.group)

    response = client.post(agreement_url(membership))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("facilitators:login") + "?next=")
    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


def test_another_facilitator_gets_404_and_records_nothing(client, assignment, other_facilitator):
    membership = anne(assignment.group)
    client.force_login(other_facilitator.user)

    response = client.post(agreement_url(membership))

    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


def test_an_agreement_is_only_recorded_by_post(facilitator_client, assignment):
    membership = anne(assignment.group)

    response = facilitator_client.get(agreement_url(membership))

    assert response.status_code == 405
    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


# --- The follow-up page ---------------------------------------------------------------


def test_follow_up_page_reminds_that_the_note_holds_no_health_details(
    facilitator_client, assignment
):
    follow_up = assignment.group.follow_ups.get()

    page = text(facilitator_client.get(follow_up_url(follow_up)))

    assert "Ingen helseopplysninger i notatet." in page
    assert "Skriv aldri helseopplysninger" in page


def test_completing_a_follow_up_records_it_and_returns_to_the_overview(
    facilitator_client, assignment, facilitator
):
    follow_up = assignment.group.follow_ups.get()

    response = facilitator_client.post(
        follow_up_url(follow_up),
        {"done_on": "2027-01-04", "outcome": "going_well", "note": "Møtes hver uke."},
        follow=True,
    )

    assert response.redirect_chain == [(OVERVIEW, 302)]
    assert "Takk! Oppfølgingen er registrert." in text(response)
    follow_up.refresh_from_db()
    assert follow_up.outcome == FollowUp.Outcome.GOING_WELL
    assert follow_up.done_by == facilitator.user
    assert follow_up.note == "Møtes hver uke."


def test_invited_back_on_the_page_plans_the_visit(facilitator_client, assignment):
    follow_up = assignment.group.follow_ups.get()

    facilitator_client.post(
        follow_up_url(follow_up),
        {"done_on": "2027-01-04", "outcome": "invited_back", "visit_on": "2027-02-01"},
    )

    visit = assignment.group.follow_ups.get(kind=FollowUp.Kind.VISIT)
    assert visit.due_on == datetime.date(2027, 2, 1)


def test_bad_input_shows_norwegian_errors_next_to_the_fields(facilitator_client, assignment):
    follow_up = assignment.group.follow_ups.get()

    response = facilitator_client.post(
        follow_up_url(follow_up),
        {"done_on": "2027-03-01", "outcome": "invited_back", "note": "x" * 301},
    )

    assert response.status_code == 200
    page = text(response)
    assert "Noe må rettes før oppfølgingen kan lagres" in page
    assert "Datoen kan ikke være fram i tid." in page
    assert "Skriv inn datoen for besøket gruppen ba om." in page
    assert "Notatet kan være høyst 300 tegn langt; det har 301." in page
    follow_up.refresh_from_db()
    assert not follow_up.is_done


def test_a_done_follow_up_shows_what_was_recorded_and_no_form(
    facilitator_client, assignment, facilitator
):
    follow_up = assignment.group.follow_ups.get()
    services.complete_follow_up(
        follow_up=follow_up,
        done_on=datetime.date(2027, 1, 4),
        outcome="needs_support",
        note="Ønsker nytt rom.",
        actor=facilitator.user,
    )

    response = facilitator_client.get(follow_up_url(follow_up))

    page = text(response)
    assert "Utført 4. januar 2027." in page
    assert "Gruppen trenger støtte" in page
    assert "Ønsker nytt rom." in page
    assert "fac-form" not in response.content.decode()
    assert "Lagre oppfølgingen" not in page


def test_posting_to_a_done_follow_up_changes_nothing(facilitator_client, assignment, facilitator):
    follow_up = assignment.group.follow_ups.get()
    services.complete_follow_up(
        follow_up=follow_up,
        done_on=datetime.date(2027, 1, 4),
        outcome="going_well",
        actor=facilitator.user,
    )

    facilitator_client.post(
        follow_up_url(follow_up), {"done_on": "2027-01-04", "outcome": "dissolving"}
    )

    follow_up.refresh_from_db()
    assert follow_up.outcome == FollowUp.Outcome.GOING_WELL


# --- The calendar address ---------------------------------------------------------------


def test_a_new_calendar_address_revokes_the_old_one(facilitator_client, facilitator):
    old = reverse("facilitators:calendar-feed", args=[facilitator.calendar_token])
    assert facilitator_client.get(old).status_code == 200

    response = facilitator_client.post(reverse("facilitators:regenerate-calendar"))

    assert response.status_code == 302
    assert response["Location"] == OVERVIEW + "#kalender"
    facilitator.refresh_from_db()
    new = reverse("facilitators:calendar-feed", args=[facilitator.calendar_token])
    assert facilitator_client.get(old).status_code == 404
    assert facilitator_client.get(new).status_code == 200


def test_the_calendar_address_is_only_regenerated_by_post(facilitator_client, facilitator):
    token = facilitator.calendar_token

    response = facilitator_client.get(reverse("facilitators:regenerate-calendar"))

    assert response.status_code == 405
    facilitator.refresh_from_db()
    assert facilitator.calendar_token == token


def test_before_the_first_meeting_there_is_no_button(facilitator_client, assignment):
    html = facilitator_client.get(group_url(assignment.group)).content.decode()
    assert f'action="{agreement_url(anne(assignment.group))}"' not in html


def test_a_record_made_today_can_be_undone_from_the_page(facilitator_client, assignment):
    membership = anne(assignment.group)
    hold_first_meeting(assignment.group)
    facilitator_client.post(agreement_url(membership))
    undo = reverse("facilitators:undo-agreement", args=[membership.group_id, membership.pk])
    assert (
        f'action="{undo}"' in facilitator_client.get(group_url(assignment.group)).content.decode()
    )

    facilitator_client.post(undo)

    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


def test_past_meetings_say_held_not_as_planned(facilitator_client, make_group, facilitator, staff):
    group = make_group(members=["Anne", "Bjørn", "Cecilie", "David"])
    services.assign_facilitator(
        group=group, facilitator=facilitator, actor=staff, meetings_attended=1
    )
    hold_first_meeting(group)
    group.meetings.filter(sequence=2).update(start=at(datetime.date(2027, 1, 3), 10))
    html = facilitator_client.get(group_url(group)).content.decode()
    assert "Holdt" in html or "Held" in html
