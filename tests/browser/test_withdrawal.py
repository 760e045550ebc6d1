"""A person opens the withdrawal link from their receipt on a phone and withdraws."""

import pytest

from intake import retention
from intake.models import Intake
from tests.browser.test_home import axe_violations
from tests.factories import IntakeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def withdraw_path(transactional_db):
    intake = IntakeFactory(name="Kari Nordmann", about="Noe vondt")
    return "/meld-interesse/trekk/" + retention.withdrawal_token(intake.pk) + "/"


def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_person_withdraws_from_the_link_on_a_phone(live_server, page, screenshot, withdraw_path):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + withdraw_path)

    assert page.locator("h1").inner_text() == "Trekk interessemeldingen"
    assert "Kari" not in page.content() and "vondt" not in page.content()
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    assert Intake.objects.get().status == Intake.Status.NEW
    screenshot("withdraw-confirm")

    with page.expect_navigation():
        page.get_by_role("button", name="Trekk interessemeldingen min").click()

    assert page.locator("h1").inner_text() == "Interessemeldingen din er trukket tilbake"
    assert "trukket tilbake" in page.get_by_role("status").inner_text()
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    assert Intake.objects.get().status == Intake.Status.WITHDRAWN
    screenshot("withdraw-done")


def test_a_broken_withdrawal_link_explains_itself(live_server, page, withdraw_path):
    page.goto(live_server.url + withdraw_path[:-6] + "brutt/")

    assert page.locator("h1").inner_text() == "Denne lenken virker ikke"
    assert page.get_by_role("button").filter(has_text="Trekk").count() == 0
    assert axe_violations(page) == []
