"""Staff form a group in the admin as they would: log in, select, check, form."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from groups.models import Group
from intake.models import Slot, Theme
from tests.factories import (
    PASSWORD,
    CentreFactory,
    FacilitatorFactory,
    IntakeFactory,
    StaffFactory,
)
from tests.groups.conftest import ensure_reference_data
from tests.otp import admin_log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PEOPLE = [
    ("Anne Berg", "woman", 1978),
    ("Bjørn Dahl", "man", 1982),
    ("Cecilie Eik", "woman", 1985),
    ("David Fjeld", "man", 1976),
    ("Eva Grønn", "woman", 1980),
]


# The group page without the facilitators' inlines, which their own tests check.
GROUP_PAGE = {
    "include": [["#content-main"]],
    "exclude": [["#assignments-group"], ["#assignments-2-group"], ["#follow_ups-group"]],
}


def axe_violations(page, context):
    results = Axe().run(page, context=context)
    return [
        (v["id"], [node["target"] for node in v["nodes"]]) for v in results.response["violations"]
    ]


@pytest.fixture
def waiting_people(transactional_db):
    ensure_reference_data()
    centre = CentreFactory(name="Arna frivilligsentral", slug="arna")
    tuesday_evening = Slot.objects.get(weekday=1, part="evening")
    themes = list(Theme.objects.filter(is_other=False))
    people = [
        IntakeFactory(
            centre=centre,
            name=name,
            gender=gender,
            birth_year=year,
            status="waiting",
            availability=[tuesday_evening],
            themes=[themes[i]],
        )
        for i, (name, gender, year) in enumerate(PEOPLE)
    ]
    staff = StaffFactory(username="ansatt-arna", centres=[centre])
    for first, last in [("Kari", "Nordmann"), ("Per", "Hansen")]:
        FacilitatorFactory(centres=[centre], user__first_name=first, user__last_name=last)
    return staff, people


def test_staff_form_a_group_from_the_waiting_list(live_server, page, screenshot, waiting_people):
    staff, people = waiting_people
    page.set_viewport_size({"width": 1280, "height": 900})
    admin_log_in(page, live_server, staff.username, PASSWORD)

    page.goto(live_server.url + "/admin/intake/intake/?status=waiting")
    for person in people:
        page.check(f'input[name="_selected_action"][value="{person.pk}"]')
    page.select_option('select[name="action"]', "form_group_action")
    page.locator('button[name="index"]').click()

    expect(page.locator("h1")).to_have_text("Lag en gruppe")
    assert page.locator("#selected-people caption").text_content().strip() == "5 personer valgt"
    # The time that suits them all is suggested.
    assert page.get_by_label("Ukedag").input_value() == "1"
    assert page.get_by_label("Starttid").input_value() == "18:00"
    page.get_by_label("Gruppens navn").fill("Tirsdagsgruppa")
    page.get_by_label("Sted").fill("Arna frivilligsentral, møterom 2")
    page.get_by_label("Kari Nordmann").check()
    page.get_by_label("Per Hansen").check()
    page.get_by_role("button", name="Sjekk gruppen").click()

    expect(page.get_by_text("Utvalget følger både reglene og rådene.")).to_be_visible()
    assert page.locator("#proposed-schedule tbody tr").count() == 12
    assert axe_violations(page, "#content-main") == []
    screenshot("group-form-check")

    page.get_by_role("button", name="Lag gruppen og send invitasjonene nå").click()

    expect(page.get_by_text("Gruppen «Tirsdagsgruppa» er laget.")).to_be_visible()
    group = Group.objects.get()
    assert page.url.endswith(f"/admin/groups/group/{group.pk}/change/")
    assert page.get_by_role("link", name="Avlys møtet", exact=False).count() >= 11
    assert axe_violations(page, GROUP_PAGE) == []
    screenshot("group-change")
    assert group.memberships.count() == 5
    assert sorted(str(a.facilitator) for a in group.assignments.all()) == [
        "Kari Nordmann",
        "Per Hansen",
    ]
    first = group.planned_start
    assert first.weekday() == 1
    assert first >= datetime.date.today() + datetime.timedelta(days=14)
