"""Staff open Rapporter in the admin: charts beside their tables, no axe violations, safe print."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from intake.models import Slot, Theme
from intake.reference import ensure_reference_data
from reports.demo import seed_report_history
from tests.conftest import SCREENSHOTS
from tests.factories import PASSWORD, CentreFactory, FacilitatorFactory, StaffFactory
from tests.otp import admin_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def axe_violations(page, context=None):
    results = Axe().run(page, context=context)
    return [
        (v["id"], [node["target"] for node in v["nodes"]]) for v in results.response["violations"]
    ]


@pytest.fixture
def staff(transactional_db):
    ensure_reference_data(Slot, Theme)
    centre = CentreFactory(name="Arna frivilligsentral", slug="arna")
    FacilitatorFactory(centres=[centre], user__first_name="Kari", user__last_name="Nordmann")
    seed_report_history([centre])
    return StaffFactory(username="ansatt-arna", centres=[centre])


def test_staff_read_their_centres_report_with_charts_and_tables(
    live_server, page, screenshot, staff
):
    page.set_viewport_size({"width": 1280, "height": 900})
    admin_log_in(page, live_server, staff.username, PASSWORD)
    page.get_by_role("link", name="Rapporter til styret og tilskuddsgivere").first.click()
    expect(page.locator("h1")).to_have_text("Rapporter")

    year = datetime.date.today().year
    page.locator("#id_year").select_option(str(year))
    page.get_by_label("Sammenlign med samme periode året før").check()
    page.get_by_role("button", name="Vis rapporten").click()

    heading = page.locator(".report-heading")
    expect(heading).to_contain_text(f"Arna frivilligsentral, {year}")
    expect(heading).to_contain_text(f"sammenlignet med {year - 1}")
    # Each chart is an image with a name, and its numbers are in the table beside it.
    chart = page.get_by_role("img", name="Interessemeldinger mottatt, per måned")
    expect(chart).to_be_visible()
    expect(page.locator("#table-forms_by_month tbody tr")).to_have_count(13)
    assert page.locator("svg.report-chart").count() >= 6
    assert page.locator("script:not([src])").count() == 0
    assert axe_violations(page, "#content-main") == []
    screenshot("reports")
    page.locator('section[aria-labelledby="heading-forms_by_month"]').screenshot(
        path=SCREENSHOTS / "reports-forms-by-month.png"
    )
    page.screenshot(path=SCREENSHOTS / "reports-top.png")

    # Printed, the exact figures give way to the note about the version for sharing.
    page.emulate_media(media="print")
    expect(page.locator(".report-print-refused")).to_be_visible()
    expect(page.locator(".report-body")).to_be_hidden()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Versjonen for deling og utskrift").click()
    expect(page.locator(".report-notice")).to_contain_text("vises som «under 5»")
    page.emulate_media(media="print")
    expect(page.locator(".report-body")).to_be_visible()
    expect(page.locator(".report-picker")).to_be_hidden()
