"""The interest form drawn by the "ds" pack inside public_base.html, in Chromium.

No page uses the new layout yet, so the test renders one itself and serves it
at a made-up address of the live server; the stylesheets, font and favicon
come from the live server's real /static/.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import AnonymousUser
from django.template import RequestContext, Template
from django.test import RequestFactory

from intake.forms import IntakeForm
from tests.factories import CentreFactory, intake_form_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = Template(
    """{% extends "public_base.html" %}{% load i18n crispy_forms_tags %}
{% block title %}{% translate "Register interest in a self-help group" %}{% endblock %}
{% block content %}<h1>{% translate "Register interest in a self-help group" %}</h1>
{{ form|as_crispy_errors:"ds" }}
<form method="post" novalidate>
{% for field in fields %}{{ field|as_crispy_field:"ds" }}{% endfor %}
{% include "ds/choice_grid.html" with field=form.availability rows=form.availability_grid \
columns=form.parts_of_day %}
<button type="submit" class="ds-button">{% translate "Send the form" %}</button>
</form>{% endblock %}"""
)
ADDRESS = "/ds-proeve/"


def axe_violations(page):
    results = Axe().run(page)
    return [
        (v["id"], [node["target"] for node in v["nodes"]]) for v in results.response["violations"]
    ]


@pytest.fixture
def show(live_server, page):
    """Open the form in the new layout, unbound or with the given (invalid) data."""

    def open_form(data=None):
        centre = CentreFactory(name="Arna frivilligsentral", slug="arna")
        form = IntakeForm(data=intake_form_data(centre, **data)) if data else IntakeForm()
        if data:
            form.is_valid()
        request = RequestFactory().get(ADDRESS)
        request.user = AnonymousUser()
        fields = [form[name] for name in form.fields if name not in ("availability", "website")]
        html = PAGE.render(
            RequestContext(request, {"form": form, "fields": fields, "centre": centre})
        )
        url = live_server.url + ADDRESS
        page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        page.goto(url)
        return page

    return open_form


def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(("width", "name"), [(360, "phone"), (1280, "desktop")])
def test_the_form_is_accessible_and_fits_the_screen(show, page, screenshot, width, name):
    page.set_viewport_size({"width": width, "height": 800})
    show()
    assert page.evaluate("document.fonts.check('16px Inter')")
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(f"ds-form-{name}")


def test_errors_are_summarised_focused_and_accessible(show, page, screenshot):
    page.set_viewport_size({"width": 360, "height": 800})
    show({"name": "", "birth_year": "2015", "contact_by": None, "consent": None})
    summary = page.locator(".ds-error-summary")
    assert page.evaluate("document.activeElement.classList.contains('ds-error-summary')")
    assert summary.get_by_role("link").count() == 4
    summary.get_by_role("link", name="Skriv navnet ditt.").click()
    assert page.url.endswith("#id_name")
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot("ds-form-errors-phone")


def test_keyboard_reaches_the_grid_and_sees_where_it_is(show, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    show()
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("href") == "#main"
    assert skip.is_visible()
    page.focus("#id_consent")  # the last field before the grid on this page
    page.keyboard.press("Tab")  # the consent's link to the privacy page
    page.keyboard.press("Tab")  # and to the consent text as kept
    page.keyboard.press("Tab")
    cell = page.locator(":focus")
    assert cell.get_attribute("id") == "id_availability_0_morning"
    assert cell.evaluate("e => e.labels[0].innerText") == "mandag formiddag"
    # The ring: a 3 px dark outline around a white one (contrast in test_public_base).
    ring = cell.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring == ["solid", "3px"]
    page.keyboard.press("Space")
    assert cell.is_checked()
    page.keyboard.press("Tab")
    assert page.locator(":focus").get_attribute("id") == "id_availability_0_afternoon"


def test_the_form_reads_at_200_percent_zoom(show, page):
    page.set_viewport_size({"width": 640, "height": 800})
    show()
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert overflow(page) <= 0
