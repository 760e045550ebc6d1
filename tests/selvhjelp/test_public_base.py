"""The public pages' Designsystemet layout (templates/public_base.html), its vendored files."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.test.signals import template_rendered
from django.utils import translation

from tests.factories import CentreFactory
from tests.html_tree import parse

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
VENDOR = ROOT / "static" / "vendor" / "designsystemet"

PAGE = Template(
    """{% extends "public_base.html" %}{% block title %}Prøve{% endblock %}
{% block content %}<h1>Prøve</h1><p>Innhold</p>{% endblock %}"""
)


def render(path="/om-selvhjelpsgrupper/", **context):
    """The page's HTML, the request it was rendered for and the templates it rendered."""
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    rendered = []

    def record(sender, template, context, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(record)
    try:
        html = PAGE.render(RequestContext(request, context))
    finally:
        template_rendered.disconnect(record)
    return html, request, rendered


def test_the_page_is_in_the_current_language():
    assert parse(render()[0]).find("html").attrs["lang"] == "nb"
    with translation.override("en"):
        tree = parse(render()[0])
    assert tree.find("html").attrs["lang"] == "en"
    assert tree.find("a", class_="ds-skip-link").text == "Skip to main content"


def test_the_skip_link_leads_to_the_main_content():
    tree = parse(render()[0])
    skip = tree.find("body").children[0]
    assert skip.tag == "a"
    assert skip.attrs["href"] == "#main"
    main = tree.by_id("main")
    assert main.tag == "main"
    assert main.attrs["tabindex"] == "-1"
    assert main.find("h1").text == "Prøve"
    assert len(tree.find_all("main")) == 1


def test_no_script_and_no_form_but_the_language_switch():
    html, _request, _ = render()
    tree = parse(html)
    assert not tree.find_all("script")
    # The language switch (includes/language_switch.html, owned by the language
    # work) is the only thing on the page that may be a form.
    switch = tree.find("div", class_="sh-language")
    assert len(tree.find_all("form")) == len(switch.find_all("form"))


def test_the_header_carries_the_one_language_switch():
    _html, _request, rendered = render()
    assert rendered.count("includes/language_switch.html") == 1
    tree = parse(_html)
    assert tree.find("header").find("div", class_="sh-language") is not None


def test_every_page_carries_the_crisis_notice_with_both_numbers():
    tree = parse(render()[0])
    notice = tree.find("aside")
    assert tree.by_id(notice.attrs["aria-labelledby"]).text == "Trenger du hjelp nå?"
    assert {a.attrs["href"] for a in notice.find_all("a")} == {"tel:113", "tel:116123"}
    # A landmark of its own, outside <main> (axe: landmark-complementary-is-top-level).
    assert notice.closest("main") is None


def test_the_header_names_the_centre_when_the_page_is_for_one():
    centre = CentreFactory(name="LINK Oslo", slug="link-oslo")
    with_centre = parse(render(centre=centre)[0]).find("header")
    assert "LINK Oslo" in with_centre.text
    without = parse(render()[0]).find("header")
    assert "LINK Oslo" not in without.text


def test_the_name_mark_links_home_and_its_picture_is_hidden_from_screen_readers():
    tree = parse(render()[0])
    brand = tree.find("header").find("a")
    assert brand.attrs["href"] == "/"
    assert brand.text == "Selvhjelp"
    assert brand.find("svg").attrs["aria-hidden"] == "true"


def test_the_menu_marks_the_current_page():
    tree = parse(render("/sentre/")[0])
    menu = tree.find("nav", aria_label="Hovedmeny")
    current = menu.find_all("a", aria_current="page")
    assert [link.attrs["href"] for link in current] == ["/sentre/"]


def test_everything_the_page_loads_is_our_own_and_exists():
    tree = parse(render()[0])
    urls = [node.attrs["href"] for node in tree.find_all("link") if "href" in node.attrs]
    assert len(urls) == 5  # favicon, font preload, theme, components, ours
    for url in urls:
        assert url.startswith(settings.STATIC_URL), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url


def test_the_layout_is_one_template_and_the_language_switch():
    _html, _request, rendered = render()
    assert rendered == [None, "public_base.html", "includes/language_switch.html"]


# --- The vendored files -------------------------------------------------------------


def test_the_vendored_files_are_the_versions_the_lock_file_pins():
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    css = lock["node_modules/@digdir/designsystemet-css"]["version"]
    theme = lock["node_modules/@digdir/designsystemet-theme"]["version"]
    inter = lock["node_modules/@fontsource-variable/inter"]["version"]
    assert f"@digdir/designsystemet-css {css} " in (VENDOR / "designsystemet.css").read_text()
    theme_css = (VENDOR / "theme.css").read_text()
    assert f"@digdir/designsystemet-theme {theme}," in theme_css
    assert f"@fontsource-variable/inter {inter} " in theme_css
    readme = (VENDOR / "README.md").read_text()
    assert all(f"| {version} |" in readme for version in (css, theme, inter))


def test_the_vendored_css_fetches_nothing_from_another_origin():
    for path in [
        VENDOR / "designsystemet.css",
        VENDOR / "theme.css",
        ROOT / "static/css/public.css",
    ]:
        css = path.read_text()
        assert "@import" not in css, path
        for url in re.findall(r"url\(([^)]*)\)", css):
            assert url.startswith(("data:", '"data:', "../inter/")), (path, url)
    for url in re.findall(r"url\(([^)]*)\)", (VENDOR / "theme.css").read_text()):
        assert (VENDOR / url).resolve().is_file(), url


def _luminance(hex_colour):
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_has_at_least_3_to_1_against_every_background_of_the_layout():
    theme = (VENDOR / "theme.css").read_text()

    def token(name):
        return re.search(rf"--ds-color-{name}:(#[0-9a-fA-F]{{6}})", theme).group(1)

    outer, inner = token("focus-outer"), token("focus-inner")
    # Page, header, footer, alerts: the dark outline stands out.
    for background in [
        "neutral-background-default",
        "accent-background-tinted",
        "neutral-background-tinted",
        "warning-surface-tinted",
        "danger-surface-tinted",
    ]:
        assert _contrast(outer, token(background)) >= 3, background
    # On the filled button of the menu, the white inner ring does.
    assert _contrast(inner, token("accent-base-default")) >= 3
