"""A member opens their personal link on a 360 px phone: can't come, takes it back, asks for a
visit and leaves the group; every page is checked with axe."""

import datetime

import pytest

from facilitators import services as facilitator_services
from groups import meetings
from groups import services as group_services
from groups.models import Absence, Membership
from intake.models import Intake
from selvhjelp.models import OutboundMessage
from tests.browser.test_home import axe_violations
from tests.factories import FacilitatorFactory, IntakeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
NAMES = ["Kari Nordmann", "Ola Haugen", "Siri Lunde", "Per Vik", "Liv Strand"]


@pytest.fixture
def member(centre, staff):
    """Kari, in a Tuesday group that started in October and runs itself."""
    today = datetime.date.today()
    formed = today - datetime.timedelta(weeks=9)
    first = formed + datetime.timedelta(days=(1 - formed.weekday()) % 7 or 7)
    people = [
        IntakeFactory(
            centre=centre,
            name=name,
            status=Intake.Status.WAITING,
            email=f"{name.split()[0].lower()}@example.org",
            phone=f"+47912345{index:02d}",
        )
        for index, name in enumerate(NAMES)
    ]
    group = group_services.form_group(
        centre=centre,
        intakes=people,
        name="Tirsdagsgruppa",
        kind="across",
        format="physical",
        venue="Arna frivilligsentral, møterom 2",
        weekday=1,
        start_time=datetime.time(18),
        first_meeting=first,
        formed_on=formed,
        actor=staff,
        accept_warnings=True,
    )
    facilitator = FacilitatorFactory(centres=[centre], user__first_name="Hege")
    assignment = facilitator_services.assign_facilitator(
        group=group, facilitator=facilitator, actor=staff
    )
    group_services.start_group(group=group, actor=staff, on=first)
    facilitator_services.withdraw_facilitator(assignment=assignment, actor=staff)
    group_services.mark_self_run(group=group, actor=staff)
    meetings.extend_schedules()
    return group.memberships.get(intake__name="Kari Nordmann")


def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def check(page):
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    html = page.content()
    for name in NAMES[1:]:
        assert name not in html and name.split()[0].lower() + "@" not in html
    assert "+47912345" not in html


def test_a_member_uses_their_link_on_a_phone(live_server, page, screenshot, member):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/min-gruppe/{member.link_token}/")
    assert page.locator("h1").inner_text() == "Gruppen din: Tirsdagsgruppa"
    assert "Hei Kari" in page.content()
    check(page)
    screenshot("member-page")

    # Can't come to the next meeting.
    first_card = page.locator(".sh-meeting").first
    with page.expect_navigation():
        first_card.get_by_role("button", name="Jeg kan ikke komme").click()
    assert "gruppen får beskjed om at du ikke kan komme" in page.get_by_role("status").inner_text()
    assert "Du har sagt fra at du ikke kan komme" in page.locator(".sh-meeting").first.inner_text()
    assert OutboundMessage.objects.filter(message_type="member_absent").count() == 4
    check(page)
    screenshot("member-cannot-come")

    # Takes it back.
    with page.expect_navigation():
        page.locator(".sh-meeting").first.get_by_role(
            "button", name="Jeg kan komme likevel"
        ).click()
    assert "likevel kommer" in page.get_by_role("status").inner_text()
    assert not Absence.objects.get().is_active
    assert OutboundMessage.objects.filter(message_type="member_coming_after_all").count() == 4
    check(page)

    # Asks for a visit.
    page.get_by_role("link", name="Be om besøk").click()
    assert page.locator("h1").inner_text() == "Be om besøk"
    check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Be om besøk").click()
    assert "igangsetterne og senteret er spurt" in page.get_by_role("status").inner_text()
    assert "Gruppen har bedt om besøk" in page.content()
    assert OutboundMessage.objects.filter(message_type="visit_requested").exists()
    check(page)
    screenshot("member-visit-asked")

    # Leaves the group.
    page.get_by_role("link", name="Gå ut av gruppen").click()
    assert page.locator("h1").inner_text() == "Gå ut av gruppen"
    check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Ja, jeg går ut av gruppen").click()
    assert "Du har gått ut av gruppen" in page.get_by_role("status").inner_text()
    assert page.locator("h1").inner_text() == "Din plass i gruppen"
    assert page.get_by_role("button").count() == 0
    check(page)
    assert not Membership.objects.get(pk=member.pk).is_active
    screenshot("member-left")


def test_a_wrong_link_is_not_found(live_server, page, member):
    response = page.goto(f"{live_server.url}/min-gruppe/{member.link_token[:-3]}abc/")
    assert response.status == 404
