"""A staff member's morning in the admin: the today page, a call logged, a group formed
with its invitations held and then sent. axe checks every admin page on the way."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from groups.models import Group
from intake.models import Intake, Slot
from selvhjelp.models import OutboundMessage
from tests.factories import PASSWORD, CentreFactory, FacilitatorFactory, IntakeFactory, StaffFactory
from tests.groups.conftest import ensure_reference_data
from tests.otp import admin_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    ("Anne Berg", "woman", 1978),
    ("Bjørn Dahl", "man", 1982),
    ("Cecilie Eik", "woman", 1985),
    ("David Fjeld", "man", 1976),
    ("Eva Grønn", "woman", 1980),
]


def violations(page):
    """axe on the whole page: every rule, every element."""
    results = Axe().run(page)
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]]


@pytest.fixture
def morning(transactional_db):
    ensure_reference_data()
    centre = CentreFactory(name="Arna frivilligsentral", slug="arna")
    tuesday_evening = Slot.objects.get(weekday=1, part="evening")
    people = [
        IntakeFactory(
            centre=centre,
            name=name,
            gender=gender,
            birth_year=year,
            status="waiting",
            availability=[tuesday_evening],
        )
        for name, gender, year in PEOPLE
    ]
    old = IntakeFactory(centre=centre, name="Gunnar Haugen", phone="+4791234567")
    Intake.objects.filter(pk=old.pk).update(created_at=old.created_at - datetime.timedelta(days=10))
    IntakeFactory(centre=centre, name="Hilde Isaksen")
    staff = StaffFactory(
        username="ansatt-arna", first_name="Siri", last_name="Ansatt", centres=[centre]
    )
    for first, last in [("Kari", "Nordmann"), ("Per", "Hansen")]:
        FacilitatorFactory(centres=[centre], user__first_name=first, user__last_name=last)
    return staff, people, old


def test_a_staff_members_morning(live_server, page, screenshot, morning):
    staff, people, old = morning
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(live_server.url + "/admin/login/")
    expect(page.locator("h1")).to_have_count(1)
    assert violations(page) == []
    admin_log_in(page, live_server, staff.username, PASSWORD)

    # The start page: what to do today, oldest first.
    page.goto(live_server.url + "/admin/")
    expect(page.locator("h1")).to_have_text("I dag")
    new_forms = page.locator("#today-new-forms")
    expect(new_forms.locator(".today-count")).to_have_text("2")
    expect(new_forms.locator("li").first).to_contain_text("Gunnar Haugen")
    expect(new_forms.locator("li").first).to_contain_text("Over fristen")
    expect(page.locator("#today-ready .today-count")).to_have_text("5")
    assert violations(page) == []
    screenshot("admin-today")

    # One click to the oldest form; the call logged and the form marked contacted at once.
    new_forms.get_by_role("link", name="Gunnar Haugen", exact=False).click()
    expect(page.locator("h1")).to_contain_text("Endre")
    assert violations(page) == []
    page.locator('select[name$="-0-kind"]').select_option("answered")
    page.locator('textarea[name$="-0-note"]').fill("Avtalte oppmøte neste uke")
    expect(page.locator('input[name$="-0-mark_contacted"]')).to_be_checked()
    screenshot("intake-change")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    old.refresh_from_db()
    assert old.status == Intake.Status.CONTACTED
    assert old.contact_attempts.get().note == "Avtalte oppmøte neste uke"

    # The list, and the form for a person who phoned.
    page.goto(live_server.url + "/admin/intake/intake/?status=waiting")
    assert violations(page) == []
    screenshot("intake-list")
    page.get_by_role("link", name="Registrer en som ringte").click()
    expect(page.locator("h1")).to_have_text("Registrer en som ringte")
    assert violations(page) == []

    # A group formed with the invitations held, then sent from its page.
    page.goto(live_server.url + "/admin/intake/intake/?status=waiting")
    for person in people:
        page.check(f'input[name="_selected_action"][value="{person.pk}"]')
    page.select_option('select[name="action"]', "form_group_action")
    page.locator('button[name="index"]').click()
    page.get_by_label("Gruppens navn").fill("Tirsdagsgruppa")
    page.get_by_label("Sted").fill("Arna frivilligsentral, møterom 2")
    page.get_by_label("Kari Nordmann").check()
    page.get_by_label("Per Hansen").check()
    page.get_by_role("button", name="Sjekk gruppen").click()
    expect(page.get_by_role("heading", name="Hvem som får hvilken beskjed")).to_be_visible()
    expect(page.locator(".group-told details")).to_have_count(5)
    assert violations(page) == []
    screenshot("group-form-check")
    page.get_by_role(
        "button", name="Lag gruppen; send invitasjonene senere fra gruppens side"
    ).click()

    group = Group.objects.get()
    expect(page.locator(".group-invitations-held")).to_be_visible()
    assert group.invitations_held
    assert not OutboundMessage.objects.filter(message_type="group_welcome").exists()
    assert violations(page) == []
    screenshot("group-change-held")
    page.get_by_role("link", name="Send invitasjonene …").click()
    assert violations(page) == []
    page.get_by_role("button", name="Send invitasjonene nå").click()
    expect(page.get_by_text("Invitasjonene er sendt til 5 deltakere.")).to_be_visible()
    assert OutboundMessage.objects.filter(message_type="group_welcome").count() == 5
