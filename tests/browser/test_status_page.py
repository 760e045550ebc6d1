"""A person opens "Hvor står jeg?" from their receipt on a phone, with the keyboard alone."""

import pytest
from django.urls import reverse

from intake import status
from intake.models import ContactAttempt, Intake, Slot
from tests.browser.test_home import axe_violations
from tests.factories import IntakeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def person(transactional_db, centre):
    return IntakeFactory(
        centre=centre,
        name="Kari Nordmann",
        about="Noe vondt",
        email="kari@example.org",
        contact_by="email",
        status=Intake.Status.WAITING,
    )


@pytest.fixture
def status_path(person):
    return reverse("intake:status", kwargs={"token": status.status_token(person)})


def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_status_page_reads_well_and_passes_axe(live_server, page, status_path, size):
    page.set_viewport_size(size)
    page.goto(live_server.url + status_path)

    assert page.locator("h1").inner_text() == "Hvor står jeg?"
    assert "Venter på en gruppe" in page.locator("[aria-current=step]").inner_text()
    assert "vondt" not in page.content()
    assert overflow(page) <= 0
    assert axe_violations(page) == []


def test_at_200_percent_zoom_nothing_is_cut_off(live_server, page, status_path):
    # 200 % zoom of a 1280 px window lays the page out as 640 CSS pixels.
    page.set_viewport_size({"width": 640, "height": 450})
    page.goto(live_server.url + status_path)
    assert overflow(page) <= 0
    assert axe_violations(page) == []


def test_a_person_changes_their_number_and_times_with_the_keyboard_alone(
    live_server, page, screenshot, status_path, person
):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + status_path)
    screenshot("status-page-phone")

    # Tab from the top of the page until the number field has focus.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "phone":
            break
    page.keyboard.type("934 56 789")
    # On to the first cell of the times grid, and tick it with Space.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "availability":
            break
    page.keyboard.press("Space")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "Senteret ser endringene dine" in page.get_by_role("status").inner_text()
    assert axe_violations(page) == []
    person.refresh_from_db()
    assert str(person.phone) == "+4793456789"
    assert list(person.availability.all()) == [Slot.objects.order_by("weekday", "pk").first()]
    assert ContactAttempt.objects.filter(intake=person).count() == 1


def test_a_wrong_link_says_not_found(live_server, page, status_path):
    response = page.goto(live_server.url + status_path[:-5] + "feil/")
    assert response.status == 404
