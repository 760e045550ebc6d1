"""The starting themes are shown in the page's language; their rows keep the bokmål name."""

import pytest
from django.utils import translation

from intake.models import Theme
from intake.reference import OTHER_THEME, THEME_LABELS, THEMES

pytestmark = pytest.mark.django_db


def test_every_starting_theme_has_a_label_whose_bokmaal_is_its_stored_name():
    assert set(THEME_LABELS) == {*THEMES, OTHER_THEME}
    with translation.override("nb"):
        assert {name: str(label) for name, label in THEME_LABELS.items()} == {
            name: name for name in THEME_LABELS
        }


@pytest.mark.parametrize(
    ("language", "loneliness", "other"),
    [
        ("nb", "Ensomhet", "Noe annet"),
        ("nn", "Einsemd", "Noko anna"),
        ("en", "Loneliness", "Something else"),
    ],
)
def test_the_form_shows_the_themes_in_the_page_language(
    client, settings, centre, language, loneliness, other
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/meld-interesse/").content.decode()
    assert loneliness in page
    assert other in page


def test_a_theme_staff_added_shows_as_they_wrote_it():
    theme = Theme.objects.create(name="Kronisk smerte", position=50)
    with translation.override("en"):
        assert str(theme) == "Kronisk smerte"
