"""A person opens the stop link from a reminder on their phone and stops the reminders."""

import pytest

from selvhjelp import messaging
from selvhjelp.models import MessageOptOut
from tests.browser.test_home import axe_violations
from tests.factories import IntakeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def stop_path(transactional_db):
    intake = IntakeFactory(name="Kari Nordmann")
    reminder = messaging.queue_message(
        centre=intake.centre,
        channel="email",
        recipient=intake.email,
        message_type="group_first_meeting_reminder",
        about=intake,
        dedup_key="browser-reminder",
        context={"first_name": "Kari", "group": "Tirsdagsgruppa"},
    )
    return "/stopp/" + messaging.stop_token(reminder) + "/"


def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_person_stops_reminders_from_the_link_on_a_phone(
    live_server, page, screenshot, stop_path
):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + stop_path)

    assert page.locator("h1").inner_text() == "Stopp påminnelser"
    assert page.get_by_text("Påminnelse før ditt første møte i en gruppe").is_visible()
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    assert not MessageOptOut.objects.exists()
    screenshot("stop-messages-confirm")

    with page.expect_navigation():
        page.get_by_role("button", name="Stopp disse påminnelsene").click()

    assert page.locator("h1").inner_text() == "Påminnelsene er stoppet"
    assert "Ferdig: Disse påminnelsene er stoppet." in page.get_by_role("status").inner_text()
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    assert MessageOptOut.objects.count() == 1
    screenshot("stop-messages-done")


def test_a_broken_link_explains_itself(live_server, page, screenshot, stop_path):
    page.goto(live_server.url + stop_path[:-6] + "brutt/")

    assert page.locator("h1").inner_text() == "Denne lenken virker ikke"
    assert page.get_by_role("button", name="Stopp disse påminnelsene").count() == 0
    assert axe_violations(page) == []
    screenshot("stop-messages-broken")
