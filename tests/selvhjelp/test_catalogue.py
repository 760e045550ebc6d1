"""The bokmål and nynorsk catalogues are complete, and the committed .mo files match.

msgids are English, so English needs no catalogue; every other language of
settings.LANGUAGES must translate every string the code and templates mark,
with nothing empty or fuzzy. The first test extracts the strings afresh (as
`make messages` does, into a copy) so that a string added without a
translation fails it.
"""

import gettext
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings as django_settings
from django.core.management import call_command

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ["nb", "nn"]


def po_path(locale, root=ROOT):
    return root / "locale" / locale / "LC_MESSAGES" / "django.po"


def entries(path):
    with open(path, "rb") as f:
        catalog = read_po(f)
    return [m for m in catalog if m.id]


def untranslated(path):
    return [
        m.id
        for m in entries(path)
        if m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]


def strings(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_every_language_but_english_has_a_catalogue():
    languages = {code for code, _name in django_settings.LANGUAGES}
    assert languages == {"en", *CATALOGUES}


@pytest.fixture
def own_tmp_path():
    # Not pytest's tmp_path: other pytest runs on the machine (as the same
    # user) prune its numbered directories while this one runs.
    with tempfile.TemporaryDirectory(prefix="catalogue-") as path:
        yield Path(path)


def test_every_string_in_the_code_is_translated_in_bokmaal_and_nynorsk(
    own_tmp_path, settings, monkeypatch
):
    require(shutil.which("xgettext"), "this test needs GNU gettext: apt-get install gettext")
    tmp_path = own_tmp_path
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale)
    settings.LOCALE_PATHS = [locale]
    monkeypatch.chdir(ROOT)
    call_command(
        "makemessages",
        locale=CATALOGUES,
        ignore_patterns=["bench/*", "tests/*", "node_modules/*", ".venv/*"],
        verbosity=0,
    )
    missing = {code: untranslated(po_path(code, tmp_path)) for code in CATALOGUES}
    assert missing == {code: [] for code in CATALOGUES}, (
        "Run `make messages` and translate the new entries in locale/nb and locale/nn"
    )
    extracted = {code: {m.id for m in entries(po_path(code, tmp_path))} for code in CATALOGUES}
    assert extracted["nb"] == extracted["nn"]


@pytest.mark.parametrize("locale", CATALOGUES)
def test_compiled_catalogue_matches_the_po_file(locale):
    with open(po_path(locale).with_suffix(".mo"), "rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    for message in entries(po_path(locale)):
        if isinstance(message.id, tuple):
            got = compiled.ngettext(message.id[0], message.id[1], 1)
            want = message.string[0]
        else:
            got = (
                compiled.pgettext(message.context, message.id)
                if message.context
                else compiled.gettext(message.id)
            )
            want = message.string
        if got != want:
            stale.append(message.id)
    assert stale == [], "Run `make messages` to compile: " + repr(stale[:10])


@pytest.mark.parametrize("locale", CATALOGUES)
def test_no_fuzzy_or_empty_entries_are_committed(locale):
    assert untranslated(po_path(locale)) == []


@pytest.mark.parametrize("locale", CATALOGUES)
def test_placeholders_are_kept(locale):
    """A translation uses the same %(name)s and {name} values as its msgid."""
    placeholder = re.compile(r"%\(\w+\)[sdif]|\{\w+\}|<a href=\"[^\"]*\">")
    wrong = []
    for message in entries(po_path(locale)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(placeholder.findall(i) for i in ids))
        for text in strings(message):
            # A singular may leave the count out ("one day"); nothing may be added.
            if not set(placeholder.findall(text)) <= wanted:
                wrong.append((ids[0], text))
        if not isinstance(message.id, tuple) and set(placeholder.findall(message.string)) != (
            wanted
        ):
            wrong.append((message.id, message.string))
    assert wrong == []


# Words that are bokmål and never nynorsk: the nynorsk catalogue is written in
# nynorsk, not left half converted (its header lists the terms it uses).
BOKMAAL_ONLY = re.compile(
    r"\b(ikke|hvordan|hva|hvem|hvorfor|hvilke|hvilken|hvis|jeg|fra|ble|være|noen|noe|"
    r"bare|selv|uke|uker|lenke|lenken|velg|velge|valgt|igangsetter|igangsettere|deltaker|"
    r"deltakere|påminnelse|påminnelser|ennå|allerede|dere|navn|navnet|gruppen|hilsen|"
    r"vennlig|forespørsel|bekreft|bekreftet|begrunnelse|advarsel|sentre|mandag|tirsdag|"
    r"lørdag|søndag)\b",
    re.IGNORECASE,
)


def test_the_nynorsk_catalogue_is_nynorsk():
    bokmaal = [
        (message.id, text)
        for message in entries(po_path("nn"))
        for text in strings(message)
        if BOKMAAL_ONLY.search(text)
    ]
    assert bokmaal == []


def test_nynorsk_is_written_in_nynorsk_not_copied_from_bokmaal():
    nb = {m.id: m.string for m in entries(po_path("nb"))}
    nn = {m.id: m.string for m in entries(po_path("nn"))}
    # Short labels may well be the same ("Status", "E-post"); sentences are not.
    long = [msgid for msgid in nb if len(str(msgid)) > 40]
    same = [msgid for msgid in long if nn[msgid] == nb[msgid]]
    assert len(same) <= len(long) // 50, same[:20]
