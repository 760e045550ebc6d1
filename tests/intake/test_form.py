"""The interest form's validation and normalisation, without the view."""

import uuid

import pytest
from django.utils import timezone

from intake.forms import IntakeForm
from intake.models import Slot, Theme
from tests.factories import CentreFactory, intake_form_data

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


def bound(centre, /, **changes):
    return IntakeForm(intake_form_data(centre, **changes))


def errors_of(form, field):
    form.is_valid()
    return " ".join(form.errors.get(field, []))


def test_valid_form_is_valid(centre):
    form = bound(centre)

    assert form.is_valid(), form.errors


def test_phone_is_stored_in_international_form(centre):
    form = bound(centre, phone="912 34 567")

    assert form.is_valid(), form.errors
    assert str(form.cleaned_data["phone"]) == "+4791234567"


@pytest.mark.parametrize("phone", ["+47 912 34 567", "0047 91234567", "91234567", "412 34 567"])
def test_norwegian_mobile_numbers_in_any_common_notation_are_accepted(centre, phone):
    form = bound(centre, phone=phone)

    assert form.is_valid(), form.errors
    assert str(form.cleaned_data["phone"]).startswith("+47")


@pytest.mark.parametrize(
    "phone",
    ["123", "abc", "9123456", "912345678", "+46 70 123 45 67", "55 00 00 00", "+47 912 34 56a"],
)
def test_malformed_or_foreign_or_landline_phone_is_refused(centre, phone):
    form = bound(centre, phone=phone)

    assert "norsk mobilnummer" in errors_of(form, "phone")


@pytest.mark.parametrize("email", ["kari", "kari@", "@example.org", "kari@example", "a b@c.no"])
def test_malformed_email_is_refused(centre, email):
    form = bound(centre, email=email, contact_by="phone")

    assert "e-postadresse" in errors_of(form, "email")


def test_no_contact_channel_is_refused(centre):
    form = bound(centre, phone="", email="")

    assert "mobilnummeret ditt eller e-postadressen" in errors_of(form, "phone")


def test_email_alone_is_enough_when_contact_by_email(centre):
    form = bound(centre, phone="", email="kari@example.org", contact_by="email")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == ""


def test_phone_alone_is_enough(centre):
    form = bound(centre, email="", contact_by="sms")

    assert form.is_valid(), form.errors


@pytest.mark.parametrize("contact_by", ["phone", "sms"])
def test_contact_by_phone_needs_a_phone_number(centre, contact_by):
    form = bound(centre, phone="", contact_by=contact_by)

    assert "Skriv mobilnummeret ditt" in errors_of(form, "phone")


def test_contact_by_email_needs_an_email_address(centre):
    form = bound(centre, email="", contact_by="email")

    assert "Skriv e-postadressen din" in errors_of(form, "email")


def test_under_18_is_refused(centre):
    form = bound(centre, birth_year=str(THIS_YEAR - 17))

    assert "18 år eller eldre" in errors_of(form, "birth_year")


def test_turning_18_this_year_is_accepted_with_the_confirmation(centre):
    form = bound(centre, birth_year=str(THIS_YEAR - 18))

    assert form.is_valid(), form.errors


def test_unticked_adult_confirmation_is_refused(centre):
    form = bound(centre, confirmed_adult=None)

    assert "Bekreft at du er 18 år eller eldre" in errors_of(form, "confirmed_adult")


@pytest.mark.parametrize(
    "year", ["1800", str(THIS_YEAR - 111), str(THIS_YEAR + 1), "19855", "0", "-1985"]
)
def test_implausible_year_of_birth_is_refused(centre, year):
    form = bound(centre, birth_year=year)

    assert "Sjekk fødselsåret" in errors_of(form, "birth_year")


@pytest.mark.parametrize("year", ["nitten", "85", "", "19 85", "1" * 5000])
def test_year_of_birth_that_is_no_year_is_refused(centre, year):
    form = bound(centre, birth_year=year)

    assert errors_of(form, "birth_year")


def test_no_consent_is_refused(centre):
    form = bound(centre, consent=None)

    assert "samtykke" in errors_of(form, "consent")


def test_consent_is_not_ticked_on_an_empty_form(centre):
    form = IntakeForm(centre=centre)

    assert 'name="consent"' in str(form["consent"])
    assert "checked" not in str(form["consent"])


def test_applying_for_someone_else_is_refused(centre):
    form = bound(centre, applying_for_self=None)

    assert "for deg selv" in errors_of(form, "applying_for_self")


def test_free_text_of_1000_characters_is_accepted(centre):
    form = bound(centre, about="æ" * 1000)

    assert form.is_valid(), form.errors


def test_free_text_over_1000_characters_is_refused_with_the_count(centre):
    form = bound(centre, about="x" * 1001)

    assert "1001 tegn" in errors_of(form, "about")


def test_line_breaks_count_as_one_character_as_in_the_counter(centre):
    # 500 lines of one letter: 1000 characters on screen, 1500 bytes of \r\n-text.
    form = bound(centre, about="a\r\n" * 499 + "ab")

    assert form.is_valid(), form.errors
    assert "\r" not in form.cleaned_data["about"]
    assert len(form.cleaned_data["about"]) == 1000


def test_free_text_field_has_no_maxlength_that_would_cut_pasted_text(centre):
    assert "maxlength" not in str(IntakeForm()["about"])


def test_name_longer_than_120_characters_is_refused(centre):
    form = bound(centre, name="K" * 121)

    assert "120 tegn" in errors_of(form, "name")


@pytest.mark.parametrize(
    "name",
    ["Åse Ærlig-Øvrebø", "محمد علي", "Zoë 🌻 Ünal", "Nguyễn Thị Ánh", "Саша Иванова"],
)
def test_unicode_names_are_kept_exactly(centre, name):
    form = bound(centre, name=name)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == name


def test_nul_bytes_are_refused_not_crashed_on(centre):
    form = bound(centre, name="Kari\x00", about="a\x00b", email="k\x00@example.org")

    assert not form.is_valid()
    assert set(form.errors) >= {"name", "about", "email"}


def test_inactive_centre_cannot_be_chosen(centre):
    closed = CentreFactory(active=False)

    form = bound(centre, centre=str(closed.pk))

    assert "Velg et senter fra listen" in errors_of(form, "centre")


def test_only_active_centres_are_offered(centre):
    CentreFactory(name="Nedlagt senter", active=False)

    html = str(IntakeForm()["centre"])

    assert centre.name in html
    assert "Nedlagt senter" not in html


def test_preselected_centre_is_selected(centre, other_centre):
    html = str(IntakeForm(centre=other_centre)["centre"])

    assert f'<option value="{other_centre.pk}" selected>' in html


def test_digital_only_at_a_centre_without_digital_groups_is_refused(centre):
    centre.runs_digital_groups = False
    centre.save()

    form = bound(centre, format="digital")

    assert "digitale grupper" in errors_of(form, "format")


def test_digital_at_a_centre_with_digital_groups_is_accepted(centre):
    centre.runs_digital_groups = True
    centre.save()

    assert bound(centre, format="digital").is_valid()


def test_hidden_theme_cannot_be_chosen_but_other_is_always_offered(centre):
    hidden = Theme.objects.create(name="Skjult tema", active=False)
    other = Theme.objects.get(is_other=True)
    other.active = False
    other.save()

    offered = list(IntakeForm().fields["themes"].queryset)
    form = bound(centre, themes=[str(hidden.pk)])

    assert other in offered and hidden not in offered
    assert "Velg temaer fra listen" in errors_of(form, "themes")


@pytest.mark.parametrize("slot", ["999999", "x", "-1", "1.5"])
def test_unknown_times_are_refused(centre, slot):
    form = bound(centre, availability=[slot])

    assert "Velg tidspunkter fra tabellen" in errors_of(form, "availability")


@pytest.mark.parametrize("value", ["maybe", "", "WOMAN"])
def test_choice_fields_refuse_unknown_values(centre, value):
    form = bound(centre, format=value, kind=value, contact_by=value)

    form.is_valid()
    assert {"format", "kind", "contact_by"} <= set(form.errors)


def test_filled_honeypot_marks_the_form_as_spam(centre):
    form = bound(centre, website="http://spam.example")

    assert form.is_valid()
    assert form.is_spam()


def test_empty_honeypot_is_not_spam(centre):
    form = bound(centre)

    assert form.is_valid()
    assert not form.is_spam()


@pytest.mark.parametrize("key", ["", "not-a-uuid", "\x00", None])
def test_missing_or_mangled_submission_key_is_replaced_by_a_fresh_one(centre, key):
    form = bound(centre, submission_key=key)

    assert form.is_valid(), form.errors
    assert isinstance(form.cleaned_data["submission_key"], uuid.UUID)


def test_each_empty_form_gets_its_own_submission_key():
    first = IntakeForm()["submission_key"].value()
    second = IntakeForm()["submission_key"].value()

    assert first != second


def test_submission_maps_every_answer_for_the_service(centre):
    form = bound(centre, gender="", about="  Litt om meg  ")
    assert form.is_valid(), form.errors

    kwargs = form.submission()

    assert kwargs["centre"] == centre
    assert kwargs["gender"] == ""
    assert kwargs["about"] == "Litt om meg"
    assert kwargs["consent_given"] is True
    assert kwargs["submission_key"] == uuid.UUID(intake_form_data(centre)["submission_key"])
    assert [slot.pk for slot in kwargs["availability"]] == [
        Slot.objects.get(weekday=0, part="evening").pk
    ]


def test_availability_grid_runs_monday_to_sunday_morning_to_evening():
    grid = IntakeForm().availability_grid()

    assert [str(day) for day, _cells in grid][0] == "mandag"
    assert len(grid) == 7 and all(len(cells) == 3 for _day, cells in grid)
    assert [cell["label"] for cell in grid[0][1]] == [
        "mandag formiddag",
        "mandag ettermiddag",
        "mandag kveld",
    ]


def test_availability_grid_keeps_what_was_ticked(centre):
    evening = Slot.objects.get(weekday=0, part="evening")

    grid = bound(centre, availability=[str(evening.pk), "junk"]).availability_grid()

    ticked = [cell["label"] for _day, cells in grid for cell in cells if cell["checked"]]
    assert ticked == ["mandag kveld"]


def test_error_summary_links_each_error_to_its_input(centre):
    form = bound(centre, name="", gender="nope", availability=["junk"], consent=None)
    form.is_valid()

    anchors = [anchor for anchor, _message in form.error_summary()]

    assert anchors == ["id_name", "id_gender_0", "id_availability_0_morning", "id_consent"]
