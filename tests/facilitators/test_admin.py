"""Staff in the admin: assigning facilitators on the group page, and the follow-up list."""

import datetime

import pytest
from django.urls import reverse

from facilitators import services
from facilitators.admin import AssignmentInline
from facilitators.models import Assignment, FollowUp
from groups import services as group_services
from tests.facilitators.conftest import NOW
from tests.factories import FacilitatorFactory

pytestmark = pytest.mark.django_db


def group_url(group):
    return reverse("admin:groups_group_change", args=[group.pk])


def change_form_data(response):
    """What the browser would post back from an admin change page, unchanged."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            elif isinstance(value, datetime.datetime):
                data[key + "_0"], data[key + "_1"] = f"{value:%Y-%m-%d}", f"{value:%H:%M:%S}"
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def assignment_prefix(response):
    (inline,) = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if isinstance(inline.opts, AssignmentInline)
    ]
    return inline.formset.prefix


def post_assignments(client, group, rows):
    """Post the group page with `rows` ({index: {field: value}}) in the facilitators inline."""
    page = client.get(group_url(group))
    data = change_form_data(page)
    prefix = assignment_prefix(page)
    for index, values in rows.items():
        for field, value in values.items():
            data[f"{prefix}-{index}-{field}"] = value
    return client.post(group_url(group), data, follow=True)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_group_page_offers_two_empty_facilitator_rows(staff_client, group):
    page = staff_client.get(group_url(group))

    formset = page.context["inline_admin_formsets"]
    (assignments,) = [i.formset for i in formset if isinstance(i.opts, AssignmentInline)]
    assert len(assignments.forms) == 2


def test_the_choices_are_active_facilitators_of_the_groups_centre(
    staff_client, group, facilitator, other_centre
):
    FacilitatorFactory(centres=[other_centre])
    FacilitatorFactory(centres=[group.centre], active=False)

    page = staff_client.get(group_url(group))

    (assignments,) = [
        i.formset
        for i in page.context["inline_admin_formsets"]
        if isinstance(i.opts, AssignmentInline)
    ]
    assert list(assignments.forms[0].fields["facilitator"].queryset) == [facilitator]


def test_assigning_on_the_group_page_goes_through_the_service_and_warns(
    staff_client, staff, group, facilitator
):
    response = post_assignments(
        staff_client, group, {0: {"facilitator": facilitator.pk, "meetings_attended": "2"}}
    )

    assignment = Assignment.objects.get(group=group)
    assert assignment.facilitator == facilitator
    assert assignment.meetings_attended == 2
    assert assignment.assigned_by == staff
    assert any("eneste igangsetter" in message for message in messages_of(response))


def test_two_facilitators_are_assigned_without_a_warning(
    staff_client, group, facilitator, other_facilitator
):
    response = post_assignments(
        staff_client,
        group,
        {
            0: {"facilitator": facilitator.pk, "meetings_attended": "1"},
            1: {"facilitator": other_facilitator.pk, "meetings_attended": "1"},
        },
    )

    assert group.assignments.active().count() == 2
    assert not any("eneste" in message for message in messages_of(response))


def test_the_same_facilitator_twice_is_refused_next_to_the_row(staff_client, group, facilitator):
    response = post_assignments(
        staff_client,
        group,
        {
            0: {"facilitator": facilitator.pk, "meetings_attended": "1"},
            1: {"facilitator": facilitator.pk, "meetings_attended": "1"},
        },
    )

    assert response.status_code == 200
    assert "Kari Nordmann er valgt to ganger." in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_facilitator_attends_more_meetings_after_a_change(staff_client, assignment):
    post_assignments(staff_client, assignment.group, {0: {"meetings_attended": "3"}})

    assignment.refresh_from_db()
    assert assignment.meetings_attended == 3


def test_withdrawing_on_the_group_page_keeps_the_date(staff_client, staff, assignment):
    post_assignments(staff_client, assignment.group, {0: {"withdraw": "on"}})

    assignment.refresh_from_db()
    assert assignment.withdrawn_on == NOW.date()
    assert assignment.withdrawn_by == staff


def test_group_page_lists_its_follow_ups(staff_client, group):
    follow_up = group.follow_ups.get()

    html = staff_client.get(group_url(group)).content.decode()

    assert reverse("admin:facilitators_followup_change", args=[follow_up.pk]) in html


# --- Follow-ups -----------------------------------------------------------------------

FOLLOW_UPS = reverse("admin:facilitators_followup_changelist")


@pytest.fixture
def follow_ups(make_group, staff):
    """Three groups' follow-ups: overdue, due this week, done, plus one later."""
    groups = [make_group(f"Gruppe {n}") for n in range(4)]
    today = NOW.date()  # Monday 4 January 2027
    overdue, this_week, done, later = (g.follow_ups.get() for g in groups)
    FollowUp.objects.filter(pk=overdue.pk).update(due_on=today - datetime.timedelta(days=2))
    FollowUp.objects.filter(pk=this_week.pk).update(due_on=today + datetime.timedelta(days=4))
    services.complete_follow_up(follow_up=done, done_on=today, outcome="going_well", actor=staff)
    return {"overdue": overdue, "this_week": this_week, "done": done, "later": later}


def listed(client, query=""):
    response = client.get(FOLLOW_UPS + query)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"overdue", "this_week", "later"}),
        ("?state=overdue", {"overdue"}),
        ("?state=this_week", {"this_week"}),
        ("?state=done", {"done"}),
        ("?state=all", {"overdue", "this_week", "done", "later"}),
    ],
)
def test_follow_up_list_filters(staff_client, follow_ups, query, expected):
    assert listed(staff_client, query) == {follow_ups[name].pk for name in expected}


def test_staff_of_another_centre_see_none_of_them(other_staff_client, follow_ups):
    assert listed(other_staff_client, "?state=all") == set()


def test_staff_of_another_centre_cannot_open_one(other_staff_client, follow_ups):
    url = reverse("admin:facilitators_followup_change", args=[follow_ups["overdue"].pk])

    response = other_staff_client.get(url)

    assert response.status_code == 404


@pytest.mark.parametrize("groups", [1, 6])
def test_follow_up_list_costs_the_same_for_few_and_many(
    staff_client, make_group, groups, django_assert_max_num_queries
):
    for number in range(groups):
        make_group(f"Gruppe {number}")

    with django_assert_max_num_queries(12):
        staff_client.get(FOLLOW_UPS + "?state=all")


def test_staff_record_a_follow_up_in_the_admin(staff_client, staff, follow_ups):
    follow_up = follow_ups["overdue"]
    url = reverse("admin:facilitators_followup_change", args=[follow_up.pk])

    staff_client.post(
        url,
        {
            "done_on": "2027-01-04",
            "outcome": "invited_back",
            "visit_on": "2027-01-20",
            "note": "Ønsker besøk.",
        },
    )

    follow_up.refresh_from_db()
    assert follow_up.done_by == staff
    assert follow_up.outcome == FollowUp.Outcome.INVITED_BACK
    assert follow_up.visit.due_on == datetime.date(2027, 1, 20)


def test_recording_in_the_admin_needs_both_date_and_outcome(staff_client, follow_ups):
    follow_up = follow_ups["overdue"]
    url = reverse("admin:facilitators_followup_change", args=[follow_up.pk])

    response = staff_client.post(url, {"done_on": "2027-01-04", "outcome": "", "note": ""})

    assert response.status_code == 200
    assert "Velg hvordan det går med gruppen." in response.content.decode()
    follow_up.refresh_from_db()
    assert not follow_up.is_done


# --- Facilitators ----------------------------------------------------------------------


def test_editing_a_facilitator_keeps_the_centres_the_user_cannot_see(
    staff_client, centre, other_centre
):
    shared = FacilitatorFactory(centres=[centre, other_centre], phone="+4791234567")
    url = reverse("admin:facilitators_facilitator_change", args=[shared.pk])
    data = change_form_data(staff_client.get(url))
    data["phone"] = "+4798765432"
    data["centres"] = [str(centre.pk)]  # the only centre this user is offered

    staff_client.post(url, data)

    shared.refresh_from_db()
    assert str(shared.phone) == "+4798765432"
    assert set(shared.centres.all()) == {centre, other_centre}


def test_facilitator_page_lists_the_groups(staff_client, assignment):
    url = reverse("admin:facilitators_facilitator_change", args=[assignment.facilitator.pk])

    html = staff_client.get(url).content.decode()

    assert "Tirsdagsgruppa" in html


def test_a_cancelled_groups_follow_up_is_no_longer_waiting(staff_client, staff, follow_ups):
    group = follow_ups["overdue"].group
    group_services.cancel_group(group=group, reason="For få kunne komme", actor=staff)

    assert follow_ups["overdue"].pk not in listed(staff_client, "?state=overdue")
    assert follow_ups["overdue"].pk not in listed(staff_client)
    assert follow_ups["overdue"].pk in listed(staff_client, "?state=all")
