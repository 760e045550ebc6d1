import pytest
from django.conf import settings

from tests.factories import CentreFactory

pytestmark = pytest.mark.django_db


def test_home_is_norwegian_by_default_even_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nb">' in html
    assert "Finn en selvhjelpsgruppe" in html


def test_base_layout_has_skip_link_landmarks_and_footer_links(client):
    html = client.get("/").content.decode()
    assert 'href="#main"' in html
    assert html.count("<main") == 1
    assert 'id="main"' in html
    assert "<header" in html and "<footer" in html and "<nav" in html
    assert 'href="/personvern/"' in html
    assert 'href="/tilgjengelighet/"' in html


def test_base_layout_loads_no_third_party_assets_and_no_inline_script(client):
    html = client.get("/").content.decode()
    assert "https://" not in html.split("<body")[0]
    assert "<script>" not in html
    # An information page needs no script at all (and no Bootstrap).
    assert "<script" not in html
    assert "bootstrap" not in html


@pytest.mark.parametrize(
    ("url", "heading"),
    [("/personvern/", "Personvern"), ("/tilgjengelighet/", "Tilgjengelighetserklæring")],
)
def test_footer_pages_exist_in_norwegian(client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_language_switch_is_links_to_the_same_page_in_each_language(client):
    response = client.get("/sentre/")
    html = response.content.decode()

    assert 'href="/en/sentre/" hreflang="en" lang="en"' in html
    assert 'href="/nn/sentre/" hreflang="nn" lang="nn"' in html
    assert 'href="/sentre/" hreflang="nb" lang="nb" aria-current="true"' in html
    assert "csrfmiddlewaretoken" not in html
    assert not response.cookies  # no CSRF cookie, no session


def test_english_pages_live_under_en_and_link_on_in_english(client):
    html = client.get("/en/").content.decode()

    assert '<html lang="en">' in html
    assert "Find a self-help group near you" in html
    assert 'href="/en/om-selvhjelpsgrupper/"' in html
    assert client.get("/").content.decode().count('<html lang="nb">') == 1


def test_a_language_cookie_does_not_change_a_public_address(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert '<html lang="nb">' in client.get("/").content.decode()


def test_pages_outside_the_prefixes_switch_language_by_a_link_that_sets_the_cookie(client):
    response = client.get("/sprak/en/", {"neste": "/igangsetter/logg-inn/"})

    assert response.status_code == 302
    assert response["Location"] == "/igangsetter/logg-inn/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get("/sprak/en/", {"neste": "https://evil.example/"})["Location"] == "/"


def test_unknown_page_gives_norwegian_404(client):
    response = client.get("/finnes-ikke/")
    assert response.status_code == 404
    assert "Vi fant ikke siden" in response.content.decode()


def test_crisis_notice_names_both_numbers(client):
    html = client.get("/").content.decode()
    assert 'href="tel:113"' in html
    assert 'href="tel:116123"' in html


# --- The public information pages -------------------------------------------------


def test_menu_links_the_public_pages_and_the_form(client):
    html = client.get("/").content.decode()
    start = html.index('aria-label="Hovedmeny"')
    nav = html[start : html.index("</nav>", start)]

    for url in ("/om-selvhjelpsgrupper/", "/sporsmal-og-svar/", "/sentre/", "/meld-interesse/"):
        assert f'href="{url}"' in nav, url
    assert ">Meld interesse</a>" in nav


def test_menu_marks_the_current_page(client):
    html = client.get("/sentre/").content.decode()

    assert 'href="/sentre/" aria-current="page"' in html
    assert 'href="/" aria-current="page"' not in html


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/om-selvhjelpsgrupper/", "Om selvhjelpsgrupper"),
        ("/sporsmal-og-svar/", "Spørsmål og svar"),
        ("/sentre/", "Selvhjelpssentre"),
    ],
)
def test_public_pages_exist_in_norwegian(client, url, heading):
    response = client.get(url)

    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_home_says_who_it_is_for_and_links_the_form(client):
    html = client.get("/").content.decode()

    assert "18 år eller eldre" in html
    assert "henvisning" in html and "diagnose" in html and "gratis" in html
    assert "Ingen andre kan melde deg på" in html
    assert 'class="ds-button" href="/meld-interesse/"' in html


def test_home_explains_how_it_works_in_order(client):
    html = client.get("/").content.decode()
    steps = html[html.index('<ol class="sh-numbered">') : html.index("</ol>")]

    assert (
        steps.index("interesseskjemaet") < steps.index("tar kontakt") < steps.index("igangsettere")
    )
    # The person chooses how to be contacted: no step promises a call.
    assert "ringer" not in steps
    assert "telefonsamtale, en SMS eller en e-post" in steps


@pytest.mark.parametrize(
    "anchor",
    [
        "age",
        "cost",
        "referral",
        "therapy",
        "how-long",
        "closed",
        "digital",
        "confidentiality",
        "someone-else",
        "data",
        "crisis",
    ],
)
def test_questions_page_answers_each_question_with_a_link_to_it(client, anchor):
    html = client.get("/sporsmal-og-svar/").content.decode()

    assert f'href="#{anchor}"' in html
    assert f'<h2 id="{anchor}">' in html


def test_questions_page_gives_the_crisis_numbers_and_the_twelve_weeks(client):
    html = client.get("/sporsmal-og-svar/").content.decode()

    assert 'href="tel:113"' in html and 'href="tel:116123"' in html
    assert "tolv ukene" in html
    assert 'href="/personvern/"' in html


def test_about_page_explains_confidentiality_and_notice_of_absence(client):
    html = client.get("/om-selvhjelpsgrupper/").content.decode()

    assert "Taushetsplikt" in html and "Meldeplikt" in html
    assert "fire til åtte" in html


def test_centres_page_lists_active_centres_with_their_details(client):
    CentreFactory(
        name="Åsane frivilligsentral",
        slug="asane",
        area="Åsane, Bergen",
        phone="+47 55 00 00 02",
        email="post@asane.example",
        runs_digital_groups=True,
    )
    CentreFactory(name="Arna frivilligsentral", slug="arna", runs_digital_groups=False)

    html = client.get("/sentre/").content.decode()

    assert "Åsane, Bergen" in html
    assert 'href="tel:+4755000002"' in html
    assert 'href="mailto:post@asane.example"' in html
    assert "Ja, også grupper som møtes på video" in html
    assert "Nei, bare grupper som møtes i et rom" in html
    assert 'href="/meld-interesse/asane/"' in html
    assert "Meld interesse hos Åsane frivilligsentral" in html


def test_centres_page_leaves_out_inactive_centres(client):
    CentreFactory(name="Nedlagt senter", active=False)

    html = client.get("/sentre/").content.decode()

    assert "Nedlagt senter" not in html


def test_centres_page_says_so_when_there_are_none(client):
    html = client.get("/sentre/").content.decode()

    assert "Ingen sentre tar imot interessemeldinger" in html


def test_centres_page_escapes_what_staff_typed(client):
    CentreFactory(name="<script>alert(1)</script>", area='"><img src=x>')

    html = client.get("/sentre/").content.decode()

    assert "<script>alert(1)" not in html and "<img src=x>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("count", [1, 20])
def test_centres_page_costs_one_query_however_many_centres(
    client, count, django_assert_num_queries
):
    CentreFactory.create_batch(count)

    with django_assert_num_queries(1):
        client.get("/sentre/")


# Every stored field of an interest form and what the privacy page calls it.
# A new field on Intake fails this test until the privacy page says what it is.
PRIVACY_WORDING = {
    "centre": "senteret du valgte",
    "name": "navnet ditt",
    "email": "e-postadressen",
    "phone": "mobilnummeret",
    "contact_by": "hvordan du vil bli kontaktet",
    "birth_year": "fødselsåret ditt",
    "confirmed_adult": "18 år eller eldre",
    "gender": "kjønnet ditt",
    "themes": "temaene du krysset av for",
    "about": "det du eventuelt skrev med egne ord",
    "format": "i et rom eller på video",
    "kind": "hva slags gruppe",
    "availability": "hvilke tider som passer",
    "consent_version": "hvilken versjon av samtykketeksten",
    "consent_language": "på hvilket språk",
    "consent_given_at": "når du samtykket",
    "language": "språket du brukte i skjemaet",
    "reference": "referansekoden din",
    "submission_key": "et tilfeldig tall som hindrer at det samme skjemaet blir lagret to ganger",
    "status": "statusen til skjemaet",
    "created_at": "når skjemaet kom inn",
    "source": "fylte det ut sammen med deg på telefon",
    "consent_taken_by": "hvilken ansatt som tok imot samtykket ditt",
    "merged_into": "slo dem sammen til ett",
}
# Bookkeeping that says nothing more about the person.
# `delete_after`, `anonymised_at` and `idle_notice_at` are the retention job's
# bookkeeping; the page's "How long we keep it" explains them (below).
SYSTEM_FIELDS = {
    "id",
    "status_changed_at",
    "updated_at",
    "delete_after",
    "anonymised_at",
    "idle_notice_at",
    # A random key that the signed withdrawal link names; it says nothing of the person.
    "withdrawal_key",
}


def test_privacy_page_names_every_field_an_interest_form_stores(client):
    from intake.models import Intake

    stored = {field.name for field in Intake._meta.concrete_fields} | {
        field.name for field in Intake._meta.many_to_many
    }
    html = client.get("/personvern/").content.decode()

    assert stored - SYSTEM_FIELDS == set(PRIVACY_WORDING)
    missing = [phrase for phrase in PRIVACY_WORDING.values() if phrase not in html]
    assert missing == []


def test_privacy_page_says_who_sees_what_and_how_to_use_the_rights(client):
    html = client.get("/personvern/").content.decode()

    assert "Ansatte ved andre sentre kan ikke se skjemaet ditt" in html
    assert "igangsetterne bare fornavnet ditt" in html
    assert "notater" in html
    assert "hvilken gruppe" in html
    assert "Den sier aldri hvorfor du tok kontakt" in html
    assert "Datatilsynet" in html
    assert 'href="/sentre/"' in html


def test_privacy_page_shows_the_periods_the_jobs_use(client, settings):
    """The page reads intake.retention.periods(), the values the nightly jobs act on."""
    from intake import retention

    settings.INTAKE_RETENTION_MONTHS = 18
    settings.MEMBERSHIP_RETENTION_MONTHS = 30
    settings.WITHDRAWAL_DELETE_AFTER_DAYS = 3
    settings.INTAKE_IDLE_MONTHS = 9
    settings.INTAKE_IDLE_WARNING_DAYS = 21
    settings.ACCESS_LOG_RETENTION_MONTHS = 36
    settings.SUBMISSION_KEY_HOURS = 12
    html = client.get("/personvern/").content.decode()
    section = html[html.index("Hvor lenge vi tar vare på det") :][:6000]

    periods = retention.periods()
    assert (periods.intake_months, periods.membership_months, periods.withdrawal_days) == (
        18,
        30,
        3,
    )
    assert "på 9 måneder (ingen samtale, notat, endring eller ny status)" in section
    assert "innen 21 dager, blir skjemaet lukket" in section
    assert "slettes skjemaet 18 måneder etter" in section
    assert "30 måneder etter dagen du gikk ut av gruppen" in section
    assert "slettes skjemaet 3 dager senere" in section
    assert "Tilgangsloggen tas vare på i 36 måneder" in section
    assert "slettes 12 timer etter at skjemaet kom inn" in html


def test_privacy_page_says_erasure_takes_two_people_and_is_then_immediate(client):
    html = client.get("/personvern/").content.decode()

    assert "ber én ansatt om det, og en annen person ved senteret" in html
    assert "En nasjonal administrator kan også gjøre det alene" in html
    assert "Da blir de slettet med en gang" in html


def test_privacy_page_says_what_national_administrators_see_and_the_consent_agrees(client):
    from intake.consent import current_text

    html = client.get("/personvern/").content.decode()

    assert "Temaene og det du skrev, kan de bare lese etter å ha oppgitt en grunn" in html
    assert "kan bare lese det etter å ha oppgitt en grunn" in current_text("nb")
