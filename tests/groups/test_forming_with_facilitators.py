"""Choosing the facilitators while forming a group: in groups.services and on the admin page.

form_group assigns them through facilitators.services in its own
transaction, so a group is formed with its facilitators or not at all.
"""

import datetime

import pytest
from django.contrib import messages
from django.utils import translation

from facilitators import services as facilitator_services
from facilitators.models import Assignment, FollowUp
from groups import rules
from groups.models import Group, GroupRuleError, Meeting, Membership
from intake.models import Intake
from selvhjelp.models import OutboundMessage
from tests.factories import FacilitatorFactory, IntakeFactory, StaffFactory
from tests.groups.conftest import FIRST, check_kwargs
from tests.groups.test_admin import INTAKES, frame_data, page, selection

pytestmark = pytest.mark.django_db

GENDERS = [Intake.Gender.WOMAN, Intake.Gender.MAN]


@pytest.fixture
def inactive_facilitator(centre):
    return FacilitatorFactory(
        centres=[centre], active=False, user__first_name="Ivar", user__last_name="Inaktiv"
    )


@pytest.fixture
def outside_facilitator(other_centre):
    """A facilitator of LINK Oslo only."""
    return FacilitatorFactory(
        centres=[other_centre], user__first_name="Ola", user__last_name="Oslo"
    )


def assert_nothing_formed():
    assert not Group.objects.exists()
    assert not Membership.objects.exists()
    assert not Meeting.objects.exists()
    assert not FollowUp.objects.exists()
    assert not Assignment.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert set(Intake.objects.values_list("status", flat=True)) == {Intake.Status.WAITING}


def fail_on_second_assignment(monkeypatch):
    """assign_facilitator succeeds once, then fails as if the rules had changed meanwhile."""
    real = facilitator_services.assign_facilitator
    calls = []

    def assign(**kwargs):
        calls.append(kwargs["facilitator"])
        if len(calls) == 2:
            raise facilitator_services.FacilitatorError(
                f"{kwargs['facilitator']} kan ikke settes på gruppen."
            )
        return real(**kwargs)

    monkeypatch.setattr(facilitator_services, "assign_facilitator", assign)
    return calls


# --- The service ------------------------------------------------------------------------


def test_form_group_assigns_the_chosen_facilitators_for_the_centres_usual_meetings(
    form, people, facilitator, other_facilitator, staff
):
    group = form(people, facilitators=[facilitator, other_facilitator])

    assignments = group.assignments.active()
    assert {a.facilitator for a in assignments} == {facilitator, other_facilitator}
    usual = group.centre.facilitator_meetings
    assert usual == 3
    assert all(a.meetings_attended == usual and a.assigned_by == staff for a in assignments)
    assert group.memberships.count() == 6
    assert group.follow_ups.count() == 1


def test_form_group_without_facilitators_is_allowed(form, people):
    group = form(people, facilitators=[])

    assert not group.assignments.exists()


def test_one_facilitator_is_a_warning_to_accept(form, people, facilitator):
    with pytest.raises(rules.UnacceptedWarnings) as refused:
        form(people, facilitators=[facilitator])

    assert refused.value.warnings == [
        "Kari Nordmann blir eneste igangsetter for «Tirsdagsgruppa»; "
        "vanligvis starter to en gruppe sammen."
    ]
    assert not Group.objects.exists()

    group = form(people, facilitators=[facilitator], accept_warnings=True)

    assert group.assignments.get().facilitator == facilitator


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("inactive_facilitator", "Ivar Inaktiv er ikke aktiv som igangsetter."),
        (
            "outside_facilitator",
            "Ola Oslo er ikke igangsetter for Arna frivilligsentral, som gruppen hører til.",
        ),
    ],
)
def test_form_group_refuses_a_facilitator_who_cannot_start_it_and_forms_nothing(
    form, people, facilitator, request, who, message
):
    chosen = request.getfixturevalue(who)

    with pytest.raises(GroupRuleError) as refused:
        form(people, facilitators=[facilitator, chosen], accept_warnings=True)

    assert refused.value.messages == [message]
    assert_nothing_formed()


def test_form_group_refuses_more_than_two_and_the_same_one_twice(
    form, people, facilitator, other_facilitator, centre
):
    third = FacilitatorFactory(centres=[centre])

    with translation.override("en"), pytest.raises(GroupRuleError) as too_many:
        form(people, facilitators=[facilitator, other_facilitator, third])
    with pytest.raises(GroupRuleError) as twice:
        form(people, facilitators=[facilitator, facilitator])

    assert too_many.value.messages == [
        "Choose at most 2 facilitators; more can be assigned on the group's page."
    ]
    assert twice.value.messages == ["Kari Nordmann er valgt to ganger."]
    assert_nothing_formed()


def test_a_failure_while_assigning_rolls_back_the_whole_group(
    form, people, facilitator, other_facilitator, monkeypatch
):
    calls = fail_on_second_assignment(monkeypatch)

    with pytest.raises(GroupRuleError, match="Per Hansen kan ikke settes på gruppen."):
        form(people, facilitators=[facilitator, other_facilitator])

    assert len(calls) == 2  # the first assignment was made, and is gone with the group
    assert_nothing_formed()


def test_the_check_warns_when_the_first_meeting_clashes_with_another_group_of_theirs(
    group, frame, make_person, facilitator, other_facilitator, staff
):
    facilitator_services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    newcomers = [make_person(f"Ny {n}", gender=GENDERS[n % 2]) for n in range(4)]

    check = rules.check_group(
        intakes=newcomers,
        **check_kwargs(frame),
        name="Kveldsgruppa",
        length=90,
        facilitators=[facilitator, other_facilitator],
    )

    assert check.ok
    assert check.warnings == [
        "Kari Nordmann blir på to møter samtidig: «Kveldsgruppa» tirsdag 19. januar 2027 "
        "kl. 18:00 og «Tirsdagsgruppa» tirsdag 19. januar 2027 kl. 18:00."
    ]


def test_the_check_sees_no_clash_with_a_meeting_that_has_ended_before(
    group, frame, make_person, facilitator, other_facilitator, staff
):
    facilitator_services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    newcomers = [make_person(f"Ny {n}", gender=GENDERS[n % 2]) for n in range(4)]

    check = rules.check_group(
        intakes=newcomers,
        **{**check_kwargs(frame), "start_time": datetime.time(20, 0)},
        name="Seinkveld",
        facilitators=[facilitator, other_facilitator],
    )

    assert check.warnings == []


# --- The forming page in the admin -----------------------------------------------------


def chosen(*facilitators):
    return {"group-facilitators": [f.pk for f in facilitators]}


def test_the_page_offers_only_the_active_facilitators_of_the_groups_centre(
    staff_client, people, facilitator, other_facilitator, inactive_facilitator, other_centre
):
    elsewhere = FacilitatorFactory(
        centres=[other_centre], user__first_name="Åse", user__last_name="Annetsted"
    )

    response = staff_client.post(INTAKES, selection(people))

    html = page(response)
    assert 'name="group-facilitators"' in html
    assert "Kari Nordmann" in html and "Per Hansen" in html
    assert "Ivar Inaktiv" not in html
    assert "Annetsted" not in html
    offered = list(response.context["frame"]["facilitators"].field.widget.choices)
    assert [label for _value, label in offered] == ["Kari Nordmann", "Per Hansen"]
    assert elsewhere.pk not in [value.value for value, _label in offered]


def test_forming_with_two_facilitators_assigns_them_with_the_group(
    staff_client, staff, people, centre, facilitator, other_facilitator
):
    data = {**selection(people), **frame_data(centre), **chosen(facilitator, other_facilitator)}

    checked = staff_client.post(INTAKES, {**data, "_check": ""})
    assert "Utvalget følger både reglene og rådene." in page(checked)
    assert 'name="_form"' in page(checked)
    formed = staff_client.post(INTAKES, {**data, "_form": ""})

    group = Group.objects.get()
    assert formed.status_code == 302
    assert formed.url == f"/admin/groups/group/{group.pk}/change/"
    assert {a.facilitator for a in group.assignments.active()} == {facilitator, other_facilitator}
    assert set(group.assignments.values_list("assigned_by", flat=True)) == {staff.pk}
    assert group.memberships.count() == 6


def test_one_facilitator_is_shown_as_a_warning_and_can_be_accepted(
    staff_client, people, centre, facilitator
):
    data = {**selection(people), **frame_data(centre), **chosen(facilitator)}

    checked = staff_client.post(INTAKES, {**data, "_check": ""})
    html = page(checked)
    assert "Kari Nordmann blir eneste igangsetter for «Tirsdagsgruppa»" in html
    assert 'name="_form_anyway"' in html and 'name="_form"' not in html
    refused = staff_client.post(INTAKES, {**data, "_form": ""})
    assert refused.status_code == 200
    assert not Group.objects.exists()

    formed = staff_client.post(INTAKES, {**data, "_form_anyway": ""})

    assert formed.status_code == 302
    assert Group.objects.get().assignments.get().facilitator == facilitator


def field_errors(response):
    return response.context["frame"].errors.get("facilitators", [])


def test_an_inactive_facilitator_is_refused_by_name_next_to_the_field(
    staff_client, people, centre, facilitator, inactive_facilitator
):
    data = {**selection(people), **frame_data(centre), **chosen(facilitator, inactive_facilitator)}

    response = staff_client.post(INTAKES, {**data, "_form_anyway": ""})

    assert response.status_code == 200
    assert field_errors(response) == ["Ivar Inaktiv er ikke aktiv som igangsetter."]
    html = page(response)
    row = html[html.index("form-row field-facilitators") :]
    assert row.index("Ivar Inaktiv er ikke aktiv som igangsetter.") < row.index("</fieldset>")
    assert_nothing_formed()


def test_a_facilitator_of_another_of_the_users_centres_is_refused_by_name(
    client, people, centre, other_centre, facilitator, outside_facilitator
):
    client.force_login(StaffFactory(centres=[centre, other_centre]))
    data = {**selection(people), **frame_data(centre), **chosen(facilitator, outside_facilitator)}

    response = client.post(INTAKES, {**data, "_form_anyway": ""})

    assert field_errors(response) == [
        "Ola Oslo er ikke igangsetter for Arna frivilligsentral, som gruppen hører til."
    ]
    # Offered are the group's centre's facilitators, though the user works for both.
    assert "Ola Oslo" not in [
        label for _value, label in response.context["frame"]["facilitators"].field.widget.choices
    ]
    assert_nothing_formed()


def test_more_than_two_facilitators_are_refused_next_to_the_field(
    staff_client, people, centre, facilitator, other_facilitator
):
    third = FacilitatorFactory(centres=[centre])
    data = {
        **selection(people),
        **frame_data(centre),
        **chosen(facilitator, other_facilitator, third),
    }

    response = staff_client.post(INTAKES, {**data, "_form": ""})

    assert len(field_errors(response)) == 1
    assert_nothing_formed()


def test_another_centres_staff_cannot_choose_this_centres_facilitators(
    other_staff_client, other_centre, facilitator, other_facilitator
):
    theirs = [
        IntakeFactory(
            centre=other_centre,
            name=f"Oslo {n}",
            status=Intake.Status.WAITING,
            gender=GENDERS[n % 2],
        )
        for n in range(4)
    ]
    data = {
        **selection(theirs),
        **frame_data(other_centre),
        **chosen(facilitator, other_facilitator),
    }

    offered = other_staff_client.post(INTAKES, selection(theirs))
    response = other_staff_client.post(INTAKES, {**data, "_form_anyway": ""})

    assert "Kari Nordmann" not in page(offered) and "Per Hansen" not in page(offered)
    assert response.status_code == 200
    assert field_errors(response)  # "not one of the available choices", naming nobody
    assert "Kari Nordmann" not in page(response) and "Per Hansen" not in page(response)
    assert not Group.objects.exists()
    assert not Assignment.objects.exists()


def test_a_failed_assignment_shows_the_error_and_forms_nothing(
    staff_client, people, centre, facilitator, other_facilitator, monkeypatch
):
    fail_on_second_assignment(monkeypatch)
    data = {**selection(people), **frame_data(centre), **chosen(facilitator, other_facilitator)}

    response = staff_client.post(INTAKES, {**data, "_form": ""})

    assert response.status_code == 200
    html = page(response)
    assert "Gruppen kan ikke lages slik:" in html
    assert "Per Hansen kan ikke settes på gruppen." in html
    assert_nothing_formed()


def test_forming_without_facilitators_reminds_to_choose_them_later(
    staff_client, people, centre, facilitator
):
    data = {**selection(people), **frame_data(centre)}

    formed = staff_client.post(INTAKES, {**data, "_form": ""}, follow=True)

    group = Group.objects.get()
    assert not group.assignments.exists()
    levels = [message.level for message in formed.context["messages"]]
    assert levels == [messages.SUCCESS, messages.WARNING]
    assert "Gruppen «Tirsdagsgruppa» er laget." in page(formed)


def test_the_first_meeting_in_the_past_is_refused_on_the_page(staff_client, people, centre):
    past = FIRST - datetime.timedelta(weeks=3)  # Tuesday 29 December 2026

    response = staff_client.post(
        INTAKES, {**selection(people), **frame_data(centre, first_meeting=past), "_form": ""}
    )

    assert "Første møte kan ikke være tilbake i tid." in page(response)
    assert not Group.objects.exists()
