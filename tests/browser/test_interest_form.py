"""A person fills in the interest form on a phone, first with mistakes, then right."""

import pytest

from intake.models import Intake
from tests.browser.test_home import axe_violations
from tests.factories import CentreFactory, intake_form_data

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("form_choices"),
]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def asane(transactional_db):
    return CentreFactory(
        name="Åsane frivilligsentral",
        slug="asane",
        area="Åsane, Bergen",
        phone="+47 55 00 00 02",
        usual_response_days=3,
        runs_digital_groups=True,
    )


def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_person_fills_in_the_form_on_a_phone(live_server, page, screenshot, asane):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    with page.expect_navigation():
        page.get_by_role("link", name="Meld interesse for en gruppe").first.click()

    assert page.locator("h1").inner_text() == "Meld interesse for en selvhjelpsgruppe"
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot("intake-form-empty")

    # First try: too young by mistake, a broken phone number, no confirmations.
    page.get_by_label("Hvilket senter vil du kontakte?").select_option(
        label="Åsane frivilligsentral (Åsane, Bergen)"
    )
    page.get_by_label("Navnet ditt").fill("Åse Ærlig")
    page.get_by_label("Fødselsår").fill("2015")
    page.get_by_label("Mobilnummer").fill("912 34")
    page.get_by_label("Sorg og tap").check()
    about = page.get_by_label("Er det noe du vil at senteret skal vite? (valgfritt)")
    about.fill("Jeg mistet mannen min i fjor.")
    assert page.locator(".sh-counter").inner_text() == "Du har 971 tegn igjen."
    page.get_by_label("mandag kveld").check()
    page.get_by_label("torsdag formiddag").check()
    page.get_by_role("button", name="Send skjemaet").click()

    summary = page.locator(".ds-error-summary")
    assert summary.is_visible()
    assert page.title().startswith("Feil:")
    assert page.evaluate("document.activeElement.classList.contains('ds-error-summary')")
    links = summary.get_by_role("link")
    assert links.count() == 5
    assert "18 år eller eldre" in links.nth(0).inner_text()
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot("intake-form-errors")

    # Nothing typed is lost.
    assert page.get_by_label("Navnet ditt").input_value() == "Åse Ærlig"
    assert about.input_value() == "Jeg mistet mannen min i fjor."
    assert page.get_by_label("Mobilnummer").input_value() == "912 34"
    assert page.get_by_label("Sorg og tap").is_checked()
    assert page.get_by_label("mandag kveld").is_checked()
    assert page.get_by_label("torsdag formiddag").is_checked()
    assert page.get_by_label("Hvilket senter vil du kontakte?").input_value() == str(asane.pk)

    # The summary's links take the person to each field.
    links.nth(0).click()
    assert page.evaluate("document.activeElement.id") == "id_birth_year"
    assert page.get_by_label("Fødselsår").get_attribute("aria-invalid") == "true"

    # Second try: everything right.
    page.get_by_label("Fødselsår").fill("1985")
    page.get_by_label("Jeg er 18 år eller eldre").check()
    page.get_by_label("Mobilnummer").fill("912 34 567")
    page.get_by_label("Kvinne").check()
    page.get_by_label("Jeg fyller ut skjemaet for meg selv").check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Send skjemaet").click()

    page.wait_for_url("**/meld-interesse/takk/")
    intake = Intake.objects.get()
    assert page.locator("h1").inner_text() == "Takk, vi har fått skjemaet ditt"
    assert page.locator("[data-reference]").inner_text() == intake.reference
    assert "ringer deg vanligvis innen 3 virkedager" in page.locator("main").inner_text()
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot("intake-done")

    assert intake.name == "Åse Ærlig"
    assert str(intake.phone) == "+4791234567"
    assert intake.about == "Jeg mistet mannen min i fjor."
    assert sorted(str(slot) for slot in intake.availability.all()) == [
        "mandag kveld",
        "torsdag formiddag",
    ]

    page.reload()
    assert page.locator("[data-reference]").inner_text() == intake.reference
    assert Intake.objects.count() == 1


def test_the_counter_warns_when_the_text_is_too_long(live_server, page, asane):
    page.goto(live_server.url + "/meld-interesse/asane/")
    about = page.get_by_label("Er det noe du vil at senteret skal vite? (valgfritt)")

    about.fill("æ" * 1003)

    assert page.locator(".sh-counter").inner_text() == "Du har skrevet 3 tegn for mye."
    assert about.input_value() == "æ" * 1003  # a paste is never cut short


def test_the_form_works_without_javascript(live_server, browser, asane):
    context = browser.new_context(java_script_enabled=False, locale="nb-NO")
    page = context.new_page()
    page.goto(live_server.url + "/meld-interesse/asane/")
    assert not page.locator(".sh-counter").is_visible()

    data = intake_form_data(asane)
    page.get_by_label("Navnet ditt").fill(data["name"])
    page.get_by_label("Fødselsår").fill(data["birth_year"])
    page.get_by_label("Jeg er 18 år eller eldre").check()
    page.get_by_label("Mobilnummer").fill(data["phone"])
    page.get_by_label("Jeg fyller ut skjemaet for meg selv").check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Send skjemaet").click()

    page.wait_for_url("**/meld-interesse/takk/")
    assert page.locator("[data-reference]").inner_text() == Intake.objects.get().reference
    context.close()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/om-selvhjelpsgrupper/", "about"),
        ("/sporsmal-og-svar/", "questions"),
        ("/sentre/", "centres"),
        ("/personvern/", "privacy"),
    ],
)
def test_public_page_is_accessible_on_a_phone(live_server, page, screenshot, asane, url, name):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + url)

    assert page.locator("html").get_attribute("lang") == "nb"
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(f"page-{name}-phone")
