import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def axe_violations(page):
    results = Axe().run(page)
    return [
        (v["id"], [node["target"] for node in v["nodes"]]) for v in results.response["violations"]
    ]


def test_home_page_is_norwegian_accessible_and_keyboard_friendly(live_server, page, screenshot):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.locator("h1").inner_text() == "Finn en selvhjelpsgruppe nær deg"

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("href") == "#main"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    for role in ("banner", "navigation", "main", "contentinfo"):
        assert page.get_by_role(role).count() >= 1, role
    assert page.get_by_role("main").count() == 1
    assert axe_violations(page) == []
    screenshot("home-desktop")


def test_home_page_fits_a_360px_phone(live_server, page, screenshot):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert axe_violations(page) == []
    screenshot("home-phone")


def test_home_page_reads_at_200_percent_zoom(live_server, page):
    # 200% zoom on a 1280 px screen lays the page out as 640 CSS px wide.
    page.set_viewport_size({"width": 640, "height": 800})
    page.goto(live_server.url + "/")
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # The menu needs no button and no script: every item stays on the screen.
    menu = page.get_by_role("navigation", name="Hovedmeny")
    assert menu.get_by_role("link").count() == 4
    assert all(link.is_visible() for link in menu.get_by_role("link").all())
