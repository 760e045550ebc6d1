"""Suggested groups for a centre's waiting list: the service, the command, the admin page."""

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from groups.models import Group, GroupRuleError, Membership, SuggestedMember, Suggestion
from groups.suggestions import services
from groups.suggestions.proposals import suggest
from intake import services as intake_services
from intake.models import Intake, Theme
from selvhjelp.models import AccessEntry
from tests.factories import IntakeFactory, StaffFactory
from tests.groups.conftest import ensure_reference_data, slot

TUESDAY = slot  # slot(1) is Tuesday evening


def six(make_person, **values):
    people = [
        ("Anne Berg", "woman", 1978),
        ("Bjørn Dahl", "man", 1982),
        ("Cecilie Eik", "woman", 1985),
        ("David Fjeld", "man", 1976),
        ("Eva Grønn", "woman", 1980),
        ("Frode Holm", "man", 1983),
    ]
    return [
        make_person(name, gender=gender, birth_year=year, **values) for name, gender, year in people
    ]


def test_proposes_one_group_of_people_who_share_a_time(centre, make_person):
    people = six(make_person)
    result = suggest(centre)
    assert len(result.proposals) == 1
    proposal = result.proposals[0]
    assert (proposal.weekday, proposal.part, proposal.format) == (1, "evening", "physical")
    assert sorted(i.pk for i in proposal.members) == sorted(p.pk for p in people)
    assert proposal.warnings == []
    assert result.unplaced == []


def test_someone_alone_at_a_time_is_left_out_with_the_reason(centre, make_person):
    six(make_person)
    alone = make_person("Gro Ås", availability=[slot(0, "morning")])
    result = suggest(centre)
    assert [(i.pk, str(r)) for i, r in result.unplaced] == [
        (alone.pk, "Ingen andre kan møtes mandag formiddag.")
    ]


def test_video_only_where_too_few_want_video(centre, make_person):
    centre.runs_digital_groups = True
    centre.save()
    six(make_person, format="physical")
    wants_video = [make_person(f"Video {n}", format="digital") for n in range(2)]
    result = suggest(centre)
    reasons = {i.pk: str(r) for i, r in result.unplaced}
    assert set(reasons) == {p.pk for p in wants_video}
    assert reasons[wants_video[0].pk].startswith("Ønsker «")
    assert "bare 1 andre som kan møtes slik" in reasons[wants_video[0].pk]


def test_people_kept_apart_are_never_in_one_proposal(centre, make_person, staff):
    people = six(make_person)
    intake_services.keep_apart(intake=people[0], other=people[1], actor=staff)
    result = suggest(centre)
    for proposal in result.proposals:
        assert not {people[0], people[1]} <= set(proposal.members)
    assert len(result.proposals) == 1
    assert len(result.proposals[0].members) == 5
    (left_out, reason) = result.unplaced[0]
    assert left_out in people[:2]


def test_a_same_problem_group_takes_only_those_who_chose_its_theme(centre, make_person):
    theme, other = Theme.objects.filter(is_other=False)[:2]
    same = six(make_person, kind="same", themes=[theme])
    make_person("Across Only", kind="across", themes=[theme])
    make_person("Other Theme", kind="same", themes=[other])
    result = suggest(centre)
    assert len(result.proposals) == 1
    proposal = result.proposals[0]
    assert proposal.kind == Group.Kind.SAME and proposal.theme == theme
    assert set(proposal.members) == set(same)


def test_not_ready_not_adult_and_held_people_are_not_proposed(centre, make_person, staff):
    people = six(make_person)
    make_person("Kontaktet", status=Intake.Status.CONTACTED)
    unconfirmed = make_person("Ikke bekreftet", confirmed_adult=False)
    other_centre_person = IntakeFactory(status="waiting", availability=[slot(1)])
    result = suggest(centre)
    members = {i.pk for p in result.proposals for i in p.members}
    assert members == {p.pk for p in people}
    assert other_centre_person.pk not in members
    assert [(i.pk, str(r)) for i, r in result.unplaced] == [
        (unconfirmed.pk, "Har ikke bekreftet å være 18 år eller eldre.")
    ]
    services.accept_suggestion(
        centre=centre,
        intakes=people,
        weekday=1,
        part="evening",
        format="physical",
        kind="across",
        actor=staff,
    )
    assert suggest(centre).proposals == []


def test_same_data_same_proposals(centre, make_person):
    for n in range(14):
        make_person(f"Person {n}", birth_year=1950 + 3 * n, gender="man" if n % 3 else "woman")
    first = suggest(centre).as_json()
    second = suggest(centre).as_json()
    del first["seconds"], second["seconds"]
    assert first == second
    assert sum(len(g["members"]) for g in first["groups"]) == 14


def test_the_command_prints_the_json_described(centre, make_person):
    people = six(make_person)
    alone = make_person("Gro Ås", availability=[slot(0, "morning")])
    out = StringIO()
    call_command("suggest_groups", "arna", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"groups", "unplaced", "seconds"}
    assert isinstance(data["seconds"], float)
    (group,) = data["groups"]
    assert set(group) == {"weekday", "part", "format", "members", "warnings"}
    assert (group["weekday"], group["part"], group["format"]) == (1, "evening", "physical")
    assert sorted(group["members"]) == sorted(p.reference for p in people)
    assert group["warnings"] == []
    assert data["unplaced"] == [
        {"reference": alone.reference, "reason": "Ingen andre kan møtes mandag formiddag."}
    ]
    assert AccessEntry.objects.filter(page="command").count() == 1


def test_the_command_refuses_an_unknown_centre(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("suggest_groups", "nowhere", "--json", stdout=StringIO())


# --- Accepting --------------------------------------------------------------------


def accept(people, staff, centre, **frame):
    frame = {"weekday": 1, "part": "evening", "format": "physical", "kind": "across", **frame}
    return services.accept_suggestion(centre=centre, intakes=people, actor=staff, **frame)


def test_accepting_holds_the_people(centre, make_person, staff):
    people = six(make_person)
    suggestion = accept(people, staff, centre)
    assert suggestion.status == Suggestion.Status.ACCEPTED
    assert SuggestedMember.objects.filter(suggestion=suggestion, holds=True).count() == 6


def test_accepting_overlapping_suggestions_refuses_the_second(centre, make_person, staff):
    people = six(make_person)
    accept(people[:5], staff, centre)
    with pytest.raises(GroupRuleError) as refused:
        accept(people[2:], StaffFactory(centres=[centre]), centre)
    assert "har nettopp godtatt" in str(refused.value)
    assert Suggestion.objects.count() == 1


def test_accepting_checks_the_rules_again(centre, make_person, staff):
    people = six(make_person)
    intake_services.keep_apart(intake=people[0], other=people[1], actor=staff)
    with pytest.raises(GroupRuleError) as refused:
        accept(people, staff, centre)
    assert "ikke skal være i samme gruppe" in str(refused.value)
    with pytest.raises(GroupRuleError):
        accept(people[1:], staff, centre, weekday=2)  # nobody said Wednesday
    assert not Suggestion.objects.exists()


def test_staff_of_another_centre_cannot_accept(centre, make_person, other_centre_staff):
    from django.core.exceptions import PermissionDenied

    people = six(make_person)
    with pytest.raises(PermissionDenied):
        accept(people, other_centre_staff, centre)


@pytest.mark.django_db(transaction=True)
def test_two_staff_accepting_overlapping_suggestions_at_once(centre, postgres):
    """Two threads, two connections: one holds the people, the other is told; nothing half-made."""
    ensure_reference_data()
    people = [
        IntakeFactory(centre=centre, status="waiting", availability=[slot(1)], name=f"P {n}")
        for n in range(7)
    ]
    first, second = StaffFactory(centres=[centre]), StaffFactory(centres=[centre])
    barrier = threading.Barrier(2)
    outcomes = []

    def run(actor, chosen):
        try:
            barrier.wait()
            accept(chosen, actor, centre)
            outcomes.append("accepted")
        except GroupRuleError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(first, people[:6])),
        threading.Thread(target=run, args=(second, people[1:])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", "refused"]
    assert Suggestion.objects.count() == 1
    assert SuggestedMember.objects.filter(holds=True).count() == 6


# --- The admin page ------------------------------------------------------------------


def test_the_page_explains_each_proposal(staff_client, centre, make_person):
    six(make_person)
    make_person("Gro Ås", availability=[slot(0, "morning")])
    response = staff_client.get("/admin/groups/group/suggestions/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Forslag 1: tirsdag kveld, fysisk" in page
    assert "Ingen andre kan møtes mandag formiddag." in page
    assert "Godta forslag 1" in page


def test_accepting_on_the_page_opens_the_filled_in_check_page(staff_client, centre, make_person):
    people = six(make_person)
    data = {
        "centre": centre.pk,
        "weekday": 1,
        "part": "evening",
        "format": "physical",
        "kind": "across",
        "theme": "",
        "members": [p.pk for p in people],
        "_accept": "1",
    }
    response = staff_client.post("/admin/groups/group/suggestions/decide/", data)
    suggestion = Suggestion.objects.get()
    assert response.status_code == 302
    assert response.url == f"/admin/groups/group/suggestions/{suggestion.pk}/form/"
    page = staff_client.get(response.url)
    assert page.status_code == 200
    assert page.context["frame"].initial["weekday"] == 1
    assert {i.pk for i in page.context["intakes"]} == {p.pk for p in people}


def test_discarding_is_not_proposed_again(staff_client, centre, make_person):
    people = six(make_person)
    data = {
        "centre": centre.pk,
        "weekday": 1,
        "part": "evening",
        "format": "physical",
        "kind": "across",
        "theme": "",
        "members": [p.pk for p in people],
        "_discard": "1",
    }
    assert staff_client.post("/admin/groups/group/suggestions/decide/", data).status_code == 302
    result = suggest(centre)
    for proposal in result.proposals:
        assert set(proposal.members) != set(people)


def test_another_centres_staff_see_nothing_of_it(other_staff_client, centre, make_person):
    six(make_person)
    response = other_staff_client.get("/admin/groups/group/suggestions/?centre=arna")
    assert response.status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, centre):
    response = client.get("/admin/groups/group/suggestions/")
    assert response.status_code == 302
    assert "/login/" in response.url


def test_forming_from_the_suggestion_ends_the_hold(staff_client, centre, make_person, staff):
    people = six(make_person)
    suggestion = accept(people, staff, centre)
    url = f"/admin/groups/group/suggestions/{suggestion.pk}/form/"
    page = staff_client.get(url)
    initial = page.context["frame"].initial
    data = {
        "group-centre": centre.pk,
        "group-name": initial["name"],
        "group-kind": initial["kind"],
        "group-format": initial["format"],
        "group-venue": "Arna frivilligsentral",
        "group-weekday": initial["weekday"],
        "group-start_time": initial["start_time"].strftime("%H:%M"),
        "group-length": 120,
        "group-first_meeting": initial["first_meeting"].isoformat(),
        "_form_anyway": "1",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["frame"].errors
    group = Group.objects.get()
    assert Membership.objects.filter(group=group).count() == 6
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.FORMED and suggestion.group == group
    assert not SuggestedMember.objects.filter(holds=True).exists()


def test_the_demo_waiting_list_suggests_groups_and_leaves_some_out(db):
    call_command("seed_demo", stdout=StringIO())
    from selvhjelp.models import Centre

    result = suggest(Centre.objects.get(slug="arna"))
    assert 2 <= len(result.proposals) <= 4
    reasons = {intake.name: str(reason) for intake, reason in result.unplaced}
    assert reasons["Randi Hov"] == "Ingen andre kan møtes lørdag formiddag."
    assert "Finn Sæle" in reasons
    for proposal in result.proposals:
        assert not {"Liv Strand", "Tor Lie"} <= {i.name for i in proposal.members}


@pytest.mark.parametrize("extra", [0, 14])
def test_the_page_costs_the_same_queries_for_more_people(
    staff_client, centre, make_person, django_assert_max_num_queries, extra, staff
):
    people = six(make_person)
    for n in range(extra):
        make_person(f"Flere {n}", birth_year=1960 + n, gender="man" if n % 2 else "woman")
    intake_services.keep_apart(intake=people[0], other=people[1], actor=staff)
    staff_client.get("/admin/groups/group/suggestions/")  # sessions, content types
    with django_assert_max_num_queries(24):
        assert staff_client.get("/admin/groups/group/suggestions/").status_code == 200


def test_a_national_administrator_outside_the_centre_sees_no_theme(client, centre, make_person):
    from tests.factories import UserFactory

    theme = Theme.objects.filter(is_other=False).first()
    six(make_person, themes=[theme])  # all one theme: the mix warning names it
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get("/admin/groups/group/suggestions/?centre=arna").content.decode()
    assert "Forslag 1: tirsdag kveld, fysisk" in page
    assert theme.name not in page
    staff = StaffFactory(centres=[centre])
    client.force_login(staff)
    page = client.get("/admin/groups/group/suggestions/").content.decode()
    assert f"«{theme.name}»" in page
