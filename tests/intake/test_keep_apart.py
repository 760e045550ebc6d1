"""Staff mark two people as "not in the same group": staff only, kept and deleted with the form."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from groups import rules
from groups.models import SuggestedMember, Suggestion
from intake import retention, services
from intake.models import Intake, IntakeError, KeepApart
from tests.factories import IntakeFactory
from tests.intake.test_admin_change import change_url
from tests.intake.test_admin_change import form_data as intake_change_data


def pairs():
    return set(KeepApart.objects.values_list("intake", "other"))


def test_a_pair_is_kept_in_both_directions(centre, staff):
    anne, bjorn = IntakeFactory.create_batch(2, centre=centre)
    services.keep_apart(intake=anne, other=bjorn, actor=staff)
    services.keep_apart(intake=bjorn, other=anne, actor=staff)  # again: nothing new
    assert pairs() == {(anne.pk, bjorn.pk), (bjorn.pk, anne.pk)}
    assert services.kept_apart_pairs([anne, bjorn]) == {(anne.pk, bjorn.pk)}
    services.stop_keeping_apart(intake=bjorn, other=anne, actor=staff)
    assert pairs() == set()


def test_refuses_a_person_of_another_centre_or_oneself(centre, other_centre, staff):
    anne = IntakeFactory(centre=centre)
    with pytest.raises(IntakeError):
        services.keep_apart(intake=anne, other=anne, actor=staff)
    with pytest.raises((IntakeError, PermissionDenied)):
        services.keep_apart(intake=anne, other=IntakeFactory(centre=other_centre), actor=staff)
    assert pairs() == set()


def test_staff_of_another_centre_cannot_mark_a_pair(centre, other_centre_staff):
    anne, bjorn = IntakeFactory.create_batch(2, centre=centre)
    with pytest.raises(PermissionDenied):
        services.keep_apart(intake=anne, other=bjorn, actor=other_centre_staff)


def test_the_rules_refuse_a_group_with_a_pair(centre, staff):
    people = IntakeFactory.create_batch(4, centre=centre, status="waiting")
    services.keep_apart(intake=people[0], other=people[3], actor=staff)
    errors = rules.kept_apart_errors(rules.load_intakes(people))
    assert errors == [
        f"{people[0].name_and_reference} og {people[3].name_and_reference} er merket som at "
        "de ikke skal være i samme gruppe."
    ]


def inline_prefix(data):
    (name,) = [k for k in data if k.endswith("-0-other")]
    return name.removesuffix("-0-other")


def test_staff_mark_and_remove_a_pair_on_the_persons_page(staff_client, centre):
    anne, bjorn = IntakeFactory.create_batch(2, centre=centre)
    data = intake_change_data(staff_client, anne)
    prefix = inline_prefix(data)
    data[f"{prefix}-0-other"] = str(bjorn.pk)
    assert staff_client.post(change_url(anne), data).status_code == 302
    assert pairs() == {(anne.pk, bjorn.pk), (bjorn.pk, anne.pk)}
    # The page's history never names the other person.
    entry = LogEntry.objects.filter(object_id=str(anne.pk)).latest("action_time")
    assert bjorn.name not in entry.get_change_message()
    assert bjorn.reference not in entry.get_change_message()

    page = staff_client.get(change_url(bjorn)).content.decode()
    assert "Ikke i samme gruppe som" in page
    data = intake_change_data(staff_client, bjorn)
    data[f"{inline_prefix(data)}-0-DELETE"] = "on"
    assert staff_client.post(change_url(bjorn), data).status_code == 302
    assert pairs() == set()


def test_only_people_of_the_same_centre_can_be_chosen(staff_client, centre, other_centre):
    anne = IntakeFactory(centre=centre)
    stranger = IntakeFactory(centre=other_centre)
    data = intake_change_data(staff_client, anne)
    data[f"{inline_prefix(data)}-0-other"] = str(stranger.pk)
    response = staff_client.post(change_url(anne), data)
    assert response.status_code == 200  # the form again, with the error
    assert pairs() == set()


def test_the_pair_goes_when_either_form_is_deleted(centre, staff):
    anne, bjorn = IntakeFactory.create_batch(2, centre=centre)
    services.keep_apart(intake=anne, other=bjorn, actor=staff)
    retention.delete_people([Intake.objects.get(pk=bjorn.pk)])
    assert pairs() == set()


def test_anonymising_removes_the_pairs_and_suggestions(centre, staff):
    anne, bjorn = IntakeFactory.create_batch(2, centre=centre)
    services.keep_apart(intake=anne, other=bjorn, actor=staff)
    suggestion = Suggestion.objects.create(
        centre=centre,
        status="discarded",
        weekday=1,
        part="evening",
        format="physical",
        kind="across",
    )
    SuggestedMember.objects.create(suggestion=suggestion, intake=anne)
    retention.anonymise_people([Intake.objects.get(pk=anne.pk)], timezone.now())
    assert pairs() == set()
    assert not SuggestedMember.objects.filter(intake=anne).exists()


@pytest.mark.django_db(transaction=True)
def test_erasure_leaves_no_trace_of_a_pair_in_a_full_dump(client, centre, form_choices, postgres):
    """A colleague's page marked the erased person: after erasure the dump names them nowhere."""
    from tests.factories import StaffFactory
    from tests.intake.test_traces import (
        NAME,
        send_the_form,
        traces,
    )

    siri = StaffFactory(centres=[centre])
    kari = StaffFactory(centres=[centre])
    intake = send_the_form(client, centre)
    reference = intake.reference
    neighbour = IntakeFactory(centre=centre, name="Nabo Naboesen")
    staff_client = Client()
    staff_client.force_login(siri)
    data = intake_change_data(staff_client, neighbour)
    data[f"{inline_prefix(data)}-0-other"] = str(intake.pk)
    assert staff_client.post(change_url(neighbour), data).status_code == 302
    assert KeepApart.objects.filter(other=intake).exists()
    assert {"Zqxfirst", reference} <= set(traces(reference))

    erase = f"/admin/intake/intake/{intake.pk}/erase/"
    assert staff_client.post(erase).status_code == 302
    staff_client.force_login(kari)
    assert staff_client.post(erase).status_code == 302

    assert traces(reference) == []
    assert NAME not in str(list(LogEntry.objects.values_list("change_message", flat=True)))
    assert not KeepApart.objects.exists()


def test_a_group_with_a_pair_cannot_be_formed_by_hand_either(centre, staff):
    import datetime as dt

    from groups import services as group_services
    from groups.models import Group, GroupRuleError
    from groups.suggestions.proposals import first_meeting_on
    from intake.models import Slot

    tuesday = Slot.objects.get(weekday=1, part="evening")
    people = IntakeFactory.create_batch(5, centre=centre, status="waiting", availability=[tuesday])
    services.keep_apart(intake=people[0], other=people[4], actor=staff)
    first = first_meeting_on(1)  # a Tuesday two weeks ahead, never a holiday
    with pytest.raises(GroupRuleError) as refused:
        group_services.form_group(
            centre=centre,
            intakes=people,
            name="Tirsdag",
            kind="across",
            format="physical",
            venue="Rom 1",
            weekday=1,
            start_time=dt.time(18),
            first_meeting=first,
            actor=staff,
            accept_warnings=True,
            holiday_choices={},
        )
    assert "ikke skal være i samme gruppe" in str(refused.value)
    assert not Group.objects.exists()
