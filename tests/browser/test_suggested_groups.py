"""Staff open the suggested groups, accept one, land on the filled-in check page, form it."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from groups.models import Group, Suggestion
from intake.models import Slot
from tests.factories import PASSWORD, CentreFactory, IntakeFactory, StaffFactory
from tests.groups.conftest import ensure_reference_data
from tests.otp import admin_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    ("Liv Strand", "woman", 1971, 120),
    ("Arne Vik", "man", 1966, 110),
    ("Siri Moe", "woman", 1975, 95),
    ("Tor Lie", "man", 1969, 90),
    ("Berit Nes", "woman", 1963, 80),
    ("Per Sund", "man", 1972, 60),
]


def axe_violations(page, context):
    results = Axe().run(page, context=context)
    return [
        (v["id"], [node["target"] for node in v["nodes"]]) for v in results.response["violations"]
    ]


@pytest.fixture
def waiting_list(transactional_db):
    ensure_reference_data()
    centre = CentreFactory(name="Arna frivilligsentral", slug="arna")
    tuesday = Slot.objects.get(weekday=1, part="evening")
    now = datetime.datetime.now(datetime.UTC)
    people = [
        IntakeFactory(
            centre=centre,
            name=name,
            gender=gender,
            birth_year=born,
            status="waiting",
            availability=[tuesday],
            created_at=now - datetime.timedelta(days=days),
        )
        for name, gender, born, days in PEOPLE
    ]
    IntakeFactory(
        centre=centre,
        name="Randi Hov",
        status="waiting",
        availability=[Slot.objects.get(weekday=5, part="morning")],
    )
    staff = StaffFactory(username="ansatt-arna", centres=[centre])
    return staff, people


def test_staff_accept_a_suggested_group_and_form_it(live_server, page, screenshot, waiting_list):
    staff, people = waiting_list
    page.set_viewport_size({"width": 1280, "height": 900})
    admin_log_in(page, live_server, staff.username, PASSWORD)

    page.goto(live_server.url + "/admin/groups/group/suggestions/")
    expect(page.locator("h1")).to_have_text("Forslag til grupper")
    suggestion = page.locator("#suggestion-1")
    expect(suggestion.locator("h2")).to_have_text("Forslag 1: tirsdag kveld, fysisk")
    expect(suggestion.locator("tbody tr")).to_have_count(6)
    expect(page.locator("#unplaced")).to_contain_text("Ingen andre kan møtes lørdag formiddag.")
    expect(page.locator("#suggestion-summary")).to_have_text(
        "1 foreslått gruppe med 6 av 7 som venter."
    )
    assert axe_violations(page, "#content-main") == []
    screenshot("suggested-groups")

    page.get_by_role("button", name="Godta forslag 1").click()

    expect(page.locator("h1")).to_have_text("Lag en gruppe")
    expect(page.get_by_text("Forslaget er godtatt")).to_be_visible()
    assert page.locator("#selected-people caption").text_content().strip() == "6 personer valgt"
    names = page.locator("#selected-people tbody th").all_text_contents()
    assert sorted(name.split(" ", 2)[0] + " " + name.split(" ", 2)[1] for name in names) == sorted(
        name for name, *_rest in PEOPLE
    )
    assert page.get_by_label("Ukedag").input_value() == "1"
    assert page.get_by_label("Starttid").input_value() == "18:00"
    assert page.get_by_label("Gruppens navn").input_value() == "Gruppe tirsdag kveld"
    page.get_by_label("Sted").fill("Arna frivilligsentral, møterom 2")
    page.get_by_role("button", name="Sjekk gruppen").click()
    expect(page.locator("#proposed-schedule tbody tr")).to_have_count(12)

    # "Form the group" (and send the invitations now): named by its field, as its words change.
    page.locator('input[name="_form"]').click()

    expect(page.get_by_text("Gruppen «Gruppe tirsdag kveld» er laget.")).to_be_visible()
    group = Group.objects.get()
    assert page.url.endswith(f"/admin/groups/group/{group.pk}/change/")
    assert {m.intake_id for m in group.memberships.all()} == {p.pk for p in people}
    assert Suggestion.objects.get().status == Suggestion.Status.FORMED
