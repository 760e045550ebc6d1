"""A staff member sets up two-step login the first time, by keyboard, in Norwegian."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.factories import PASSWORD, CentreFactory, StaffFactory
from tests.otp import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def axe_violations(page):
    results = Axe().run(page, context={"include": [["#content"]]})
    return [
        (v["id"], [node["target"] for node in v["nodes"]]) for v in results.response["violations"]
    ]


def test_first_login_sets_up_the_app_and_shows_backup_codes(live_server, page, screenshot):
    staff = StaffFactory(
        username="ny-ansatt", centres=[CentreFactory(name="Arna frivilligsentral")]
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/admin/selvhjelp/centre/")

    # Password first, all by keyboard.
    page.get_by_label("Brukernavn").fill(staff.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Sett opp innlogging i to trinn")
    assert page.locator("html").get_attribute("lang") == "nb"
    qr = page.get_by_role("img", name="QR-kode for autentiseringsappen")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    # The key for manual entry opens from the keyboard too.
    page.get_by_text("Får du ikke skannet? Skriv inn nøkkelen i stedet").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#secret")).to_be_visible()
    assert axe_violations(page) == []
    screenshot("two-factor-setup")

    device = TOTPDevice.objects.get(user=staff)
    field = page.get_by_label("Kode fra appen")
    field.focus()
    page.keyboard.type("000000")
    page.keyboard.press("Enter")
    expect(page.locator("#code-error")).to_contain_text("Koden stemmer ikke.")
    assert page.get_by_label("Kode fra appen").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []

    device.refresh_from_db()
    device.throttle_reset()
    page.get_by_label("Kode fra appen").fill(totp_code(device))
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Reservekoder")
    codes = page.get_by_role("list", name="Reservekoder").locator("code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{8}", code) for code in codes)
    assert axe_violations(page) == []
    screenshot("two-factor-backup-codes")

    page.get_by_role("link", name="Jeg har tatt vare på kodene, gå videre").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/selvhjelp/centre/")
    expect(page.get_by_role("link", name="Reservekoder")).to_be_visible()
