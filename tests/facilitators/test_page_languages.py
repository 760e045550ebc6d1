"""A facilitator's group and follow-up pages in nb, nn and en (issue 18)."""

import pytest
from django.urls import reverse

from tests.selvhjelp.test_page_languages import get, html_lang, norwegian_in

pytestmark = pytest.mark.django_db


def pages(assignment):
    group = assignment.group
    return [
        reverse("facilitators:overview"),
        reverse("facilitators:group", args=[group.pk]),
        reverse("facilitators:follow-up", args=[group.follow_ups.get().pk]),
    ]


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_the_facilitator_pages_say_their_language(facilitator_client, assignment, language):
    for url in pages(assignment):
        assert html_lang(get(facilitator_client, url, language)) == language, url


def test_the_facilitator_pages_in_nynorsk_are_nynorsk(facilitator_client, assignment):
    overview, group, follow_up = (get(facilitator_client, url, "nn") for url in pages(assignment))
    assert "Mi oversikt som igangsetjar" in overview
    assert "Teieplikt og meldeplikt" in group
    assert "Ingen helseopplysningar i notatet." in follow_up


def test_the_english_facilitator_pages_show_no_norwegian(facilitator_client, assignment):
    # The group's name and venue are data staff typed, in Norwegian.
    for url in pages(assignment):
        page = get(facilitator_client, url, "en")
        for name in ("Tirsdagsgruppa", assignment.group.venue or "-", "Arna frivilligsentral"):
            page = page.replace(name, "")
        assert norwegian_in(page) == [], url
