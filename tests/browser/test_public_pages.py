"""Every public page in every language, on a phone, on a desktop and at 200 % zoom.

Each run opens all the pages a person can reach without logging in (the
facilitators' login and its lock-out page included) and checks, on each:
axe finds nothing, nothing is wider than the screen, the page says which
language it is in, it has one h1, and the crisis notice with 113 and 116 123
is there. The failures of all pages are gathered, so one run names them all.
"""

import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from intake import retention
from intake.consent import CONSENT_VERSION
from intake.models import Intake
from intake.status import status_token
from intake.views import RECEIPT_COOKIE
from selvhjelp import messaging
from tests.browser.test_home import axe_violations
from tests.factories import CentreFactory, IntakeFactory, intake_form_data

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("form_choices"),
    pytest.mark.urls("tests.browser.urls_with_pages"),
]

LANGUAGES = [code for code, _name in settings.LANGUAGES]
SCREENS = {
    "phone": {"width": 360, "height": 740},
    "desktop": {"width": 1280, "height": 800},
    # 200 % zoom of a 1280 px screen lays the page out 640 CSS px wide.
    "zoom-200": {"width": 640, "height": 800},
}


@pytest.fixture
def pages(transactional_db):
    """(name, path) of every public page, with the data each needs."""
    centre = CentreFactory(
        name="Åsane frivilligsentral",
        slug="asane",
        area="Åsane, Bergen",
        phone="+47 55 00 00 02",
        email="post@asane.example.no",
        runs_digital_groups=True,
    )
    open_intake = IntakeFactory(centre=centre)
    withdrawn = IntakeFactory(centre=centre, status=Intake.Status.WITHDRAWN)
    reminder = messaging.queue_message(
        centre=centre,
        channel="email",
        recipient=open_intake.email,
        message_type="group_first_meeting_reminder",
        about=open_intake,
        dedup_key="browser-every-page",
        context={"first_name": "Kari", "group": "Tirsdagsgruppa"},
    )
    withdraw = "/meld-interesse/trekk/{}/"
    return [
        ("home", "/"),
        ("about", "/om-selvhjelpsgrupper/"),
        ("questions", "/sporsmal-og-svar/"),
        ("centres", "/sentre/"),
        ("privacy", "/personvern/"),
        ("accessibility", "/tilgjengelighet/"),
        ("form", "/meld-interesse/"),
        ("form-for-a-centre", "/meld-interesse/asane/"),
        ("consent-text", f"/meld-interesse/samtykke/{CONSENT_VERSION}/"),
        ("no-receipt", "/meld-interesse/takk/"),
        ("withdraw", withdraw.format(retention.withdrawal_token(open_intake.pk))),
        ("withdrawn", withdraw.format(retention.withdrawal_token(withdrawn.pk))),
        ("withdraw-broken-link", withdraw.format("brutt")),
        ("status", reverse("intake:status", kwargs={"token": status_token(open_intake)})),
        ("status-broken-link", reverse("intake:status", kwargs={"token": "brutt"})),
        ("stop-messages", f"/stopp/{messaging.stop_token(reminder)}/"),
        ("stop-messages-broken-link", "/stopp/brutt/"),
        ("not-found", "/finnes-ikke/"),
        ("bad-request", "/feil/400/"),
        ("forbidden", "/feil/403/"),
        ("server-error", "/feil/500/"),
        ("facilitator-login", "/igangsetter/logg-inn/"),
        ("facilitator-password-reset", "/igangsetter/glemt-passord/"),
        ("facilitator-password-reset-sent", "/igangsetter/glemt-passord/sendt/"),
        ("facilitator-password-link-broken", "/igangsetter/nytt-passord/MQ/brutt-lenke/"),
        ("login-locked-out", "/igangsetter/sperret/"),
    ]


def receipt_cookie(centre_pk, contact_by="sms"):
    """The receipt cookie of someone who has just sent the form (the receipt page needs it)."""
    from selvhjelp.models import Centre

    client = Client()
    data = intake_form_data(
        Centre.objects.get(pk=centre_pk),
        contact_by=contact_by,
        name=f"Kari {contact_by}",  # not the same person twice
        submission_key=str(uuid.uuid4()),
    )
    response = client.post("/meld-interesse/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.cookies[RECEIPT_COOKIE].value


def localised(path, language):
    """The page's address in the language: public pages say it in the address
    ("/en/..."), the few outside the prefixes follow the language cookie."""
    if language == settings.LANGUAGE_CODE or path.startswith(tuple(settings.COOKIE_LANGUAGE_PATHS)):
        return path
    return f"/{language}{path}"


def check(page, language):
    """What is wrong with the page open in `page`, as a list of strings."""
    problems = []
    if page.locator("html").get_attribute("lang") != language:
        problems.append(f"lang={page.locator('html').get_attribute('lang')}")
    if page.locator("h1").count() != 1:
        problems.append(f"{page.locator('h1').count()} h1")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{overflow} px too wide")
    for number in ("tel:113", "tel:116123"):
        if page.locator(f'aside a[href="{number}"]').count() != 1:
            problems.append(f"no {number} in the crisis notice")
    if page.locator('script[src*="bootstrap"], link[href*="bootstrap"]').count():
        problems.append("loads Bootstrap")
    violations = axe_violations(page)
    if violations:
        problems.append(f"axe: {violations}")
    return problems


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_passes_axe_fits_and_carries_the_crisis_notice(
    live_server, page, pages, language, screen, screenshot
):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.set_viewport_size(SCREENS[screen])
    zoom = screen == "zoom-200"
    failures = {}
    centre_pk = CentreFactory._meta.model.objects.get(slug="asane").pk
    for name, path in [*pages, ("receipt", "/meld-interesse/takk/")]:
        if name == "receipt":
            page.context.add_cookies(
                [
                    {
                        "name": RECEIPT_COOKIE,
                        "value": receipt_cookie(centre_pk),
                        "url": live_server.url,
                    }
                ]
            )
        page.goto(live_server.url + localised(path, language))
        if zoom:
            page.evaluate("document.documentElement.style.fontSize = '200%'")
        problems = check(page, language)
        if problems:
            failures[name] = problems
        if language == settings.LANGUAGE_CODE and not zoom:
            screenshot(f"public-{name}-{screen}")
    assert failures == {}


def test_the_receipt_names_the_channel_the_person_chose(live_server, page, pages):
    centre_pk = CentreFactory._meta.model.objects.get(slug="asane").pk
    for contact_by, words in [
        ("sms", "sender deg vanligvis en SMS"),
        ("email", "sender deg vanligvis en e-post"),
        ("phone", "ringer deg vanligvis"),
    ]:
        page.context.clear_cookies()
        page.context.add_cookies(
            [
                {
                    "name": RECEIPT_COOKIE,
                    "value": receipt_cookie(centre_pk, contact_by),
                    "url": live_server.url,
                }
            ]
        )
        page.goto(live_server.url + "/meld-interesse/takk/")
        steps = page.locator("main ol").inner_text()
        assert words in steps, (contact_by, steps)
        assert ("ringer" in steps) == (contact_by == "phone"), (contact_by, steps)
