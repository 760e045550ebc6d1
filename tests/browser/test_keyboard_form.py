"""A person fills in and sends the interest form with the keyboard alone.

No click and no fill(): Tab, Shift+Tab, arrows, Space, Enter and typed text,
as someone who cannot use a mouse would. Every control the person stops at
shows the focus ring (its contrast is checked in tests/selvhjelp/test_public_base.py).
"""

import pytest

from intake.models import Intake
from tests.browser.test_home import axe_violations
from tests.factories import CentreFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("form_choices"),
]


@pytest.fixture
def arna(transactional_db):
    return CentreFactory(
        name="Arna frivilligsentral", slug="arna", area="Arna, Bergen", usual_response_days=3
    )


def focused(page, attribute="id"):
    return page.evaluate(f"document.activeElement.getAttribute('{attribute}')")


def tab_to(page, element_id, limit=40):
    """Press Tab until the element has focus; fail if it is not reached."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == element_id:
            ring = page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, s.outlineWidth]; })()"
            )
            assert ring == ["solid", "3px"], (element_id, ring)
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_a_person_sends_the_form_with_the_keyboard_alone(live_server, page, arna, screenshot):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/meld-interesse/arna/")
    assert page.evaluate("document.fonts.check('16px Inter')")

    page.keyboard.press("Tab")
    assert focused(page, "href") == "#main"
    page.keyboard.press("Enter")
    assert focused(page) == "main"

    # The centre is chosen already (the form was opened for Arna); move on.
    tab_to(page, "id_centre")
    assert page.locator("#id_centre").input_value() == str(arna.pk)
    tab_to(page, "id_name")
    page.keyboard.type("Åse Ærlig")
    tab_to(page, "id_birth_year")
    page.keyboard.type("1985")
    tab_to(page, "id_confirmed_adult")
    page.keyboard.press("Space")
    # Gender: the radio group is one Tab stop; the arrows choose.
    tab_to(page, "id_gender_3")  # "I would rather not say" is chosen at the start
    page.keyboard.press("ArrowDown")  # from the last answer round to the first
    assert page.locator("#id_gender_0").is_checked()
    tab_to(page, "id_phone")
    page.keyboard.type("912 34 567")
    tab_to(page, "id_email")
    tab_to(page, "id_contact_by_0")
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("SMS").is_checked()
    tab_to(page, "id_themes_0")
    page.keyboard.press("Space")
    tab_to(page, "id_about")
    page.keyboard.type("Jeg vil gjerne snakke med andre.")
    assert page.locator(".sh-counter").inner_text() == "Du har 968 tegn igjen."

    # The grid of times: one Tab stop per cell, each with its own name.
    tab_to(page, "id_availability_0_morning")
    cell = page.locator(":focus")
    assert cell.evaluate("e => e.labels[0].innerText") == "mandag formiddag"
    tab_to(page, "id_availability_0_evening")
    page.keyboard.press("Space")
    tab_to(page, "id_availability_3_morning")
    page.keyboard.press("Space")

    tab_to(page, "id_applying_for_self")
    page.keyboard.press("Space")
    # Forgets the consent and sends.
    page.keyboard.press("Tab")  # the consent box
    page.keyboard.press("Tab")  # its two links
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The error summary has focus; its link leads to the box.
    assert page.evaluate("document.activeElement.classList.contains('ds-error-summary')")
    assert axe_violations(page) == []
    page.keyboard.press("Tab")
    assert "samtykke" in page.evaluate("document.activeElement.innerText")
    page.keyboard.press("Enter")
    assert focused(page) == "id_consent"
    page.keyboard.press("Space")
    assert page.locator("#id_consent").is_checked()
    # Nothing typed or ticked was lost.
    assert page.locator("#id_name").input_value() == "Åse Ærlig"
    assert page.locator("#id_availability_0_evening").is_checked()

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.wait_for_url("**/meld-interesse/takk/")
    intake = Intake.objects.get()
    assert intake.contact_by == Intake.ContactBy.SMS
    assert intake.gender == "woman"
    assert sorted(str(slot) for slot in intake.availability.all()) == [
        "mandag kveld",
        "torsdag formiddag",
    ]
    assert "sender deg vanligvis en SMS" in page.locator("main").inner_text()
    screenshot("keyboard-receipt")
