"""Every page says which language it is in, and English pages are English (issue 18).

`<html lang>` follows the language the person chose (nb, nn or en) on the
public pages, the facilitators' pages, the error pages and the admin. In
English, no Norwegian is left in what a page shows, except proper names.
"""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from tests.factories import FacilitatorFactory, StaffFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ["nb", "nn", "en"]

PUBLIC = [
    "/",
    "/om-selvhjelpsgrupper/",
    "/sporsmal-og-svar/",
    "/sentre/",
    "/personvern/",
    "/tilgjengelighet/",
    "/meld-interesse/",
    "/meld-interesse/arna/",
    "/meld-interesse/takk/",
    "/meld-interesse/samtykke/2026-12/",
    "/meld-interesse/trekk/not-a-token/",
    "/stopp/not-a-token/",
    "/finnes-ikke/",
    "/igangsetter/logg-inn/",
    "/igangsetter/glemt-passord/",
    "/igangsetter/glemt-passord/sendt/",
    "/igangsetter/nytt-passord/MQ/not-a-token/",
]
FACILITATOR = ["/igangsetter/"]
ADMIN = ["/admin/", "/admin/intake/intake/", "/admin/groups/group/"]


def html_lang(html):
    match = re.search(r"<html[^>]*\slang=\"([^\"]*)\"", html)
    return match and match.group(1)


def get(client, url, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, follow=True)
    assert response.status_code in (200, 404), (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def facilitator_client(client, centre):
    client.force_login(FacilitatorFactory(centres=[centre]).user)
    return client


@pytest.fixture
def admin_client_(client, centre):
    client.force_login(StaffFactory(centres=[centre]))
    return client


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_say_their_language(client, centre, url, language):
    assert html_lang(get(client, url, language)) == language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url", FACILITATOR)
def test_facilitator_pages_say_their_language(facilitator_client, url, language):
    assert html_lang(get(facilitator_client, url, language)) == language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url", ADMIN)
def test_admin_pages_say_their_language(admin_client_, url, language):
    assert html_lang(get(admin_client_, url, language)) == language


def test_the_admin_login_says_its_language(client):
    assert html_lang(get(client, "/admin/login/", "nn")) == "nn"


# --- English pages show no Norwegian --------------------------------------------

# Common Norwegian words (bokmål and nynorsk) that are not English words.
NORWEGIAN = re.compile(
    r"\b(ikke|ikkje|og|du|deg|ditt|dine|har|som|til|med|på|av|det|ei|et|eit|ein|fra|frå|"
    r"eller|skal|kan|vil|må|gruppe|gruppen|gruppa|grupper|skjema|skjemaet|senter|senteret|"
    r"møte|møter|samtykke|personvern|spørsmål|svar|hjelp|lagre|avbryt|velg|logg|hvordan|"
    r"korleis|hva|kva|mer|meir|om|oss|ja|nei|år|dag|uke|veke|kl)\b",
    re.IGNORECASE,
)
# Names that stay Norwegian in English: the portal, the demo centre, the
# languages as they call themselves, and the crisis lines' numbers.
PROPER_NAMES = re.compile(
    r"Selvhjelp|Arna frivilligsentral|Norsk bokmål|Norsk nynorsk|Datatilsynet", re.IGNORECASE
)


class VisibleText(HTMLParser):
    """The text a page shows, leaving out script, style and parts in another language."""

    def __init__(self, language):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, hidden)
        self.language = language
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden = bool(
            tag in ("script", "style", "template")
            or attrs.get("lang", self.language) != self.language
            or (self.stack and self.stack[-1][1])
        )
        if tag not in ("area", "br", "hr", "img", "input", "link", "meta", "source", "wbr"):
            self.stack.append((tag, hidden))
        if not hidden:
            for name in ("alt", "title", "aria-label", "placeholder"):
                if attrs.get(name):
                    self.text.append(attrs[name])

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not (self.stack and self.stack[-1][1]):
            self.text.append(data)


def norwegian_in(html):
    parser = VisibleText("en")
    parser.feed(html)
    text = PROPER_NAMES.sub(" ", " ".join(parser.text))
    return sorted(
        {text[max(0, m.start() - 30) : m.end() + 30].strip() for m in NORWEGIAN.finditer(text)}
    )


@pytest.mark.parametrize("url", PUBLIC)
def test_english_public_pages_show_no_norwegian(client, centre, url):
    assert norwegian_in(get(client, url, "en")) == []


@pytest.mark.parametrize("url", FACILITATOR)
def test_english_facilitator_pages_show_no_norwegian(facilitator_client, url):
    assert norwegian_in(get(facilitator_client, url, "en")) == []


@pytest.mark.parametrize("url", ADMIN)
def test_english_admin_pages_show_no_norwegian(admin_client_, url):
    assert norwegian_in(get(admin_client_, url, "en")) == []
