"""A facilitator logs in, finds the follow-up that is due and records it, on a phone and a PC."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from facilitators.models import FollowUp
from groups.models import Group, Membership
from intake.models import Slot, Theme
from intake.reference import ensure_reference_data
from selvhjelp.management.commands.seed_demo import DEMO_PASSWORD
from tests.browser.test_public_pages import LANGUAGES, SCREENS, check
from tests.otp import admin_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def axe_violations(page):
    results = Axe().run(page)
    return [
        (v["id"], [node["target"] for node in v["nodes"]]) for v in results.response["violations"]
    ]


def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def demo(transactional_db):
    """The demo data: Kari starts three groups and one follow-up of hers is overdue."""
    # An earlier transactional test's flush took the migrations' rows away.
    ensure_reference_data(Slot, Theme)
    call_command("seed_demo")


def log_in(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="For igangsettere").click()
    assert page.locator("h1").inner_text() == "Innlogging for igangsettere"
    page.get_by_label("Brukernavn eller e-post").fill("igangsetter-kari@example.org")
    page.get_by_label("Passord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    assert page.locator("h1").inner_text() == "Min oversikt"


def test_facilitator_finds_and_records_the_follow_up_that_is_due(
    live_server, page, screenshot, demo
):
    page.set_viewport_size(PHONE)
    log_in(page, live_server)

    overdue = page.locator(".fac-overdue")
    assert overdue.count() == 1
    assert "Forfalt" in overdue.inner_text()
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot("facilitator-overview-phone")

    page.set_viewport_size(DESKTOP)
    assert axe_violations(page) == []
    screenshot("facilitator-overview-desktop")

    overdue.get_by_role("link").click()
    assert page.locator("h1").inner_text().startswith("Oppfølging etter de første møtene: ")
    assert page.get_by_text("Ingen helseopplysninger i notatet.").is_visible()
    assert axe_violations(page) == []
    screenshot("facilitator-follow-up")

    page.get_by_role("button", name="Lagre oppfølgingen").click()
    summary = page.locator(".ds-error-summary")
    assert "Velg hvordan det går med gruppen." in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('ds-error-summary')")
    assert axe_violations(page) == []

    page.get_by_label("Gruppen fungerer godt").check()
    page.get_by_label("Kort notat (valgfritt)").fill("Møtes hver uke og fordeler ordet godt.")
    page.get_by_role("button", name="Lagre oppfølgingen").click()

    assert page.locator("h1").inner_text() == "Min oversikt"
    assert "Takk! Oppfølgingen er registrert." in page.get_by_role("status").inner_text()
    assert page.locator(".fac-overdue").count() == 0
    # The one done through the page (the demo history has older ones done by nobody).
    done = FollowUp.objects.get(done_on__isnull=False, done_by__isnull=False)
    assert done.outcome == FollowUp.Outcome.GOING_WELL
    assert done.done_by.username == "igangsetter-kari"


def test_group_page_fits_a_phone_and_passes_axe(live_server, page, screenshot, demo):
    page.set_viewport_size(PHONE)
    log_in(page, live_server)

    page.locator(".fac-card h3 a").last.click()

    assert page.get_by_role("table").count() == 1
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot("facilitator-group-phone")


def test_overview_works_by_keyboard_and_logs_out(live_server, page, demo):
    log_in(page, live_server)

    # Tab from the top: the skip link first, then on through the page.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    for _step in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.fac-overdue') !== null"):
            break
    else:
        pytest.fail("the overdue follow-up cannot be reached with Tab")
    page.keyboard.press("Enter")
    assert page.locator("h1").inner_text().startswith("Oppfølging etter de første møtene")

    page.get_by_role("navigation", name="Hovedmeny").get_by_role("button", name="Logg ut").click()
    assert "Du er logget ut." in page.get_by_role("status").inner_text()


def axe_in(page, *selectors):
    results = Axe().run(page, context={"include": [[selector] for selector in selectors]})
    return [
        (v["id"], [node["target"] for node in v["nodes"]]) for v in results.response["violations"]
    ]


def test_staff_pages_for_facilitators_pass_axe(live_server, page, screenshot, demo):
    page.set_viewport_size(DESKTOP)
    admin_log_in(page, live_server, "ansatt-arna", DEMO_PASSWORD)

    page.goto(live_server.url + "/admin/groups/group/?status=all")
    page.get_by_role("link", name="Torsdagsgruppa i Arna").click()
    expect(page.locator("#assignments-group select:visible")).to_have_count(2)
    assert axe_in(page, "#assignments-group", "#assignments-2-group", "#follow_ups-group") == []
    page.locator("#assignments-group").scroll_into_view_if_needed()
    screenshot("admin-group-facilitators")

    page.goto(live_server.url + "/admin/facilitators/followup/?state=all")
    assert axe_in(page, "#content-main") == []
    page.locator("#result_list tbody tr th a").first.click()
    expect(page.locator("#followup_form")).to_be_visible()
    assert axe_in(page, "#content-main") == []

    page.goto(live_server.url + "/admin/facilitators/facilitator/add/")
    assert page.locator("h1").inner_text() == "Inviter en igangsetter"
    assert axe_in(page, "#content") == []


def test_facilitator_records_a_members_agreement_by_keyboard(live_server, page, demo):
    page.set_viewport_size(PHONE)
    log_in(page, live_server)
    page.locator(".fac-card h3 a").last.click()
    group_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    # As before the first meeting: nobody has agreed yet.
    Membership.objects.filter(group_id=group_id).update(confidentiality_agreed_at=None)
    page.reload()
    first = Membership.objects.filter(group_id=group_id).select_related("intake").first()
    name = first.intake.first_name

    button = page.get_by_role(
        "button", name=f"Har avtalt taushetsplikt og meldeplikt ({name})", exact=True
    )
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    button.focus()
    page.keyboard.press("Enter")

    assert f"Registrert: {name} har sagt ja" in page.get_by_role("status").inner_text()
    assert button.count() == 0
    assert page.get_by_role("button", name="Har avtalt taushetsplikt og meldeplikt").count() >= 1
    assert Membership.objects.get(pk=first.pk).confidentiality_agreed_at is not None
    assert axe_violations(page) == []


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_facilitator_page_passes_axe_and_fits(live_server, page, demo, language, screen):
    """The logged-in pages, in each language, on a phone, a desktop and at 200 % zoom."""
    client = Client()
    client.force_login(User.objects.get(username="igangsetter-kari"))
    page.context.add_cookies(
        [
            {"name": name, "value": value, "url": live_server.url}
            for name, value in [
                (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value),
                (settings.LANGUAGE_COOKIE_NAME, language),
            ]
        ]
    )
    page.set_viewport_size(SCREENS[screen])
    group = Group.objects.filter(assignments__facilitator__user__username="igangsetter-kari")[0]
    follow_up = (
        FollowUp.objects.filter(group=group).first()
        or FollowUp.objects.filter(
            group__assignments__facilitator__user__username="igangsetter-kari"
        ).first()
    )
    failures = {}
    for name, path in [
        ("overview", reverse("facilitators:overview")),
        ("group", reverse("facilitators:group", args=[group.pk])),
        ("follow-up", reverse("facilitators:follow-up", args=[follow_up.pk])),
    ]:
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1, name
        if screen == "zoom-200":
            page.evaluate("document.documentElement.style.fontSize = '200%'")
        problems = check(page, language)
        if page.get_by_role("navigation").get_by_role("button").count() != 1:
            problems.append("no logout button in the menu")
        if problems:
            failures[name] = problems
    assert failures == {}
