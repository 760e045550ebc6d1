"""check_group: the hard rules block, the guidelines warn."""

import datetime

import pytest

from groups import rules
from groups.models import GroupRuleError
from intake.models import Intake, Theme
from tests.groups.conftest import FIRST, check_kwargs, slot

pytestmark = pytest.mark.django_db


def check(intakes, frame, **overrides):
    return rules.check_group(intakes=intakes, **{**check_kwargs(frame), **overrides})


def test_a_well_mixed_selection_passes_without_warnings(people, frame):
    result = check(people, frame)

    assert result.ok
    assert result.errors == []
    assert result.warnings == []


# --- Hard rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "ok"), [(0, False), (3, False), (4, True), (6, True), (8, True), (9, False)]
)
def test_a_group_has_between_four_and_eight_members(make_person, frame, count, ok):
    genders = ["woman", "man"]
    intakes = [make_person(f"Person {i}", gender=genders[i % 2]) for i in range(count)]

    result = check(intakes, frame)

    assert result.ok is ok
    if not ok:
        assert "minst 4" in result.errors[0] or "høyst 8" in result.errors[0]


def test_someone_under_18_on_the_start_date_is_named(people, make_person, frame):
    young = make_person("Unge Ulla", birth_year=FIRST.year - 17)

    result = check([*people[:4], young], frame)

    assert result.errors == [
        f"Unge Ulla ({young.reference}) er ikke 18 år på oppstartsdatoen 19. januar 2027 "
        f"(født {FIRST.year - 17})."
    ]


def test_someone_who_turns_18_in_the_start_year_may_join(people, make_person, frame):
    eighteen = make_person("Atten Anne", birth_year=FIRST.year - 18)

    assert check([*people[:4], eighteen], frame).ok


def test_someone_who_has_not_confirmed_being_adult_is_named(people, make_person, frame):
    unconfirmed = make_person("Ubekreftet Una", confirmed_adult=False)

    result = check([*people[:4], unconfirmed], frame)

    assert len(result.errors) == 1
    assert "Ubekreftet Una" in result.errors[0]
    assert "bekreftet" in result.errors[0]


def test_someone_from_another_centre_is_named(people, make_person, frame, other_centre):
    stranger = make_person("Oslo Olav", centre=other_centre)

    result = check([*people[:4], stranger], frame)

    assert len(result.errors) == 1
    assert "Oslo Olav" in result.errors[0]
    assert "LINK Oslo" in result.errors[0]


@pytest.mark.parametrize(
    "status",
    [Intake.Status.NEW, Intake.Status.CONTACTED, Intake.Status.WITHDRAWN, Intake.Status.CLOSED],
)
def test_someone_not_ready_for_a_group_is_named(people, make_person, frame, status):
    not_ready = make_person("Ikke Klar", status=status)

    result = check([*people[:4], not_ready], frame)

    assert len(result.errors) == 1
    assert "Ikke Klar" in result.errors[0]
    assert "ikke klar for gruppe" in result.errors[0]


def test_someone_in_another_active_group_is_named(group, people, make_person, frame):
    others = [make_person(f"Ny {i}", gender=["woman", "man"][i % 2]) for i in range(3)]

    result = check([people[0], *others], frame)

    assert len(result.errors) == 1
    assert people[0].name in result.errors[0]
    assert "Tirsdagsgruppa" in result.errors[0]


def test_every_broken_rule_is_listed(make_person, frame, other_centre):
    intakes = [
        make_person("Ung", birth_year=FIRST.year - 16),
        make_person("Borte", centre=other_centre),
        make_person("Ny", status=Intake.Status.NEW),
    ]

    result = check(intakes, frame)

    assert len(result.errors) == 4  # too few, and one per person


def test_form_group_refuses_a_broken_rule_and_saves_nothing(form, people, make_person):
    young = make_person("Unge Ulla", birth_year=FIRST.year - 16)

    with pytest.raises(GroupRuleError, match="Unge Ulla"):
        form([*people[:4], young])

    young.refresh_from_db()
    assert young.status == Intake.Status.WAITING
    assert not young.memberships.exists()


# --- Guidelines -----------------------------------------------------------------


def test_only_one_gender_warns(make_person, frame):
    women = [make_person(f"Kvinne {i}") for i in range(5)]

    result = check(women, frame)

    assert result.ok
    assert result.warnings == [
        "Alle med oppgitt kjønn har samme kjønn (kvinne); en blanding er å foretrekke."
    ]


def test_a_single_man_among_women_is_named(make_person, frame):
    intakes = [make_person(f"Kvinne {i}") for i in range(4)]
    man = make_person("Eneste Mann", gender="man")

    result = check([*intakes, man], frame)

    assert result.warnings == [f"Eneste Mann ({man.reference}) er eneste mann i gruppen."]


def test_an_age_spread_above_15_years_warns(people, make_person, frame):
    old = make_person("Gamle Gunn", birth_year=1950)

    result = check([*people[:4], old], frame)

    assert len(result.warnings) == 1
    assert "Aldersspennet er 35 år" in result.warnings[0]
    assert "Gamle Gunn" in result.warnings[0]


@pytest.mark.parametrize(("oldest", "warns"), [(1970, False), (1969, True)])
def test_the_age_spread_guideline_is_15_years(make_person, frame, oldest, warns):
    years = [1985, 1980, 1975, oldest]
    genders = ["woman", "man"]
    intakes = [
        make_person(f"P {y}", gender=genders[i % 2], birth_year=y) for i, y in enumerate(years)
    ]

    result = check(intakes, frame)

    assert any("Aldersspennet" in warning for warning in result.warnings) is warns


def test_someone_who_cannot_meet_on_the_weekday_and_part_of_day_is_named(
    people, make_person, frame
):
    monday = make_person("Mandag Mia", gender="man", availability=[slot(0), slot(1, "morning")])

    result = check([*people[:4], monday], frame)

    assert result.warnings == [
        f"Mandag Mia ({monday.reference}) har ikke sagt at tirsdag kveld passer."
    ]


def test_the_part_of_day_follows_the_start_time(people, frame):
    result = check(people, frame, start_time=datetime.time(10, 0))

    assert len(result.warnings) == len(people)
    assert all("tirsdag formiddag" in warning for warning in result.warnings)


def test_someone_without_any_times_is_named(people, make_person, frame):
    unknown = make_person("Uten Tider", gender="man", availability=[])

    result = check([*people[:4], unknown], frame)

    assert result.warnings == [
        f"Uten Tider ({unknown.reference}) har ikke oppgitt noen tider som passer."
    ]


def test_a_format_preference_that_does_not_match_is_named(people, make_person, frame):
    video = make_person("Video Vera", format=Intake.Format.DIGITAL)

    result = check([*people[:4], video], frame)

    assert len(result.warnings) == 1
    assert "Video Vera" in result.warnings[0]
    assert "møtes fysisk" in result.warnings[0]


def test_either_format_suits_both(people, make_person, frame):
    either = make_person("Begge Deler", format=Intake.Format.EITHER)

    assert check([*people[:4], either], frame).warnings == []


def test_an_across_problems_group_where_most_share_a_theme_warns(make_person, frame):
    anxiety = Theme.objects.get(name="Angst og uro")
    genders = ["woman", "man"]
    intakes = [
        make_person(f"Person {i}", gender=genders[i % 2], themes=[anxiety] if i < 3 else [])
        for i in range(5)
    ]

    result = check(intakes, frame)

    assert result.warnings == [
        "3 av 5 har valgt temaet «Angst og uro»; en gruppe på tvers av utfordringer fungerer "
        "best med en blanding."
    ]


def test_half_sharing_a_theme_is_still_a_mix(make_person, frame):
    anxiety = Theme.objects.get(name="Angst og uro")
    genders = ["woman", "man"]
    intakes = [
        make_person(f"Person {i}", gender=genders[i % 2], themes=[anxiety] if i < 3 else [])
        for i in range(6)
    ]

    assert check(intakes, frame).warnings == []


def test_a_same_problem_group_does_not_warn_about_a_shared_theme(make_person, frame):
    grief = Theme.objects.get(name="Sorg og tap")
    genders = ["woman", "man"]
    intakes = [make_person(f"Person {i}", gender=genders[i % 2], themes=[grief]) for i in range(5)]

    assert check(intakes, frame, kind="same", theme=grief).warnings == []


def test_a_same_problem_group_names_who_has_not_chosen_its_theme(people, frame):
    grief = Theme.objects.get(name="Sorg og tap")
    with_grief = [p for p in people if grief in p.themes.all()]

    result = check(people, frame, kind="same", theme=grief)

    assert len(result.warnings) == len(people) - len(with_grief)
    assert all("«Sorg og tap»" in warning for warning in result.warnings)


def test_someone_who_wants_the_other_kind_of_group_is_named(people, make_person, frame):
    same = make_person("Samme Sara", kind=Intake.Kind.SAME)

    result = check([*people[:4], same], frame)

    assert len(result.warnings) == 1
    assert "Samme Sara" in result.warnings[0]


def test_form_group_asks_to_accept_warnings_first(form, make_person):
    women = [make_person(f"Kvinne {i}") for i in range(5)]

    with pytest.raises(rules.UnacceptedWarnings) as raised:
        form(women)

    assert raised.value.warnings[0].startswith("Alle med oppgitt kjønn")
    assert all(w.status == Intake.Status.WAITING for w in Intake.objects.all())
    group = form(women, accept_warnings=True)
    assert group.memberships.count() == 5


def test_the_same_person_twice_counts_once(people, frame):
    result = check([*people[:3], people[0]], frame)

    assert "3 er valgt" in result.errors[0]


def test_ids_are_accepted_as_well_as_intakes(people, frame):
    assert check([person.pk for person in people], frame).ok
