"""The consent text is kept word for word: every version, every language, never changed."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from intake import consent
from intake.models import ConsentText

pytestmark = pytest.mark.usefixtures("postgres")


def test_the_words_the_form_shows_are_the_stored_words_of_its_version():
    """Fails when the consent text changes while CONSENT_VERSION stays the same.

    The rows come from the data migration (the words as released). Give new
    words a new CONSENT_VERSION, and store them in a migration.
    """
    stored = {
        row.language: row.text
        for row in ConsentText.objects.filter(version=consent.CONSENT_VERSION)
    }
    assert settings.LANGUAGE_CODE in stored
    for language, text in stored.items():
        assert consent.current_text(language) == text, language


def test_every_earlier_version_stays_stored():
    assert set(ConsentText.objects.values_list("version", "language")) >= {
        ("2026-11", "nb"),
        ("2026-11", "en"),
        ("2026-12", "nb"),
        ("2026-12", "en"),
        ("2026-12", "nn"),
    }


def test_the_command_stores_a_new_language_and_refuses_changed_words():
    ConsentText.objects.filter(version=consent.CONSENT_VERSION, language="en").delete()
    out = StringIO()

    call_command("record_consent_texts", stdout=out)

    assert "Stored consent text" in out.getvalue() and "en" in out.getvalue()
    assert ConsentText.objects.get(version=consent.CONSENT_VERSION, language="en").text == (
        consent.current_text("en")
    )
    ConsentText.objects.filter(version=consent.CONSENT_VERSION, language="nb").update(
        text="Andre ord"
    )
    with pytest.raises(CommandError, match="changed"):
        call_command("record_consent_texts", stdout=StringIO())


def test_the_form_links_to_the_stored_words_of_its_version(client, centre):
    html = client.get("/meld-interesse/").content.decode()
    url = f"/meld-interesse/samtykke/{consent.CONSENT_VERSION}/"
    assert f'href="{url}"' in html

    page = client.get(url).content.decode()

    stored = ConsentText.objects.get(version=consent.CONSENT_VERSION, language="nb")
    assert stored.text.replace("'", "&#x27;") in page


def test_an_old_version_points_to_the_one_in_use(client):
    page = client.get("/meld-interesse/samtykke/2026-11/").content.decode()

    assert "Bare de ansatte ved senteret kan se det." in page
    assert f"/meld-interesse/samtykke/{consent.CONSENT_VERSION}/" in page


def test_an_unknown_version_is_not_found(client):
    assert client.get("/meld-interesse/samtykke/1999-01/").status_code == 404


def test_a_form_stores_the_version_and_the_language_it_was_shown_in(
    client, centre, intake_form_data
):
    from intake.models import Intake

    client.post("/meld-interesse/", intake_form_data)

    intake = Intake.objects.get()
    assert (intake.consent_version, intake.consent_language) == (consent.CONSENT_VERSION, "nb")
    assert consent.text_agreed_to(intake).text == consent.current_text("nb")
