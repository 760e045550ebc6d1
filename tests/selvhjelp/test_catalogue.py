"""The bokmål catalogue is complete and its committed .mo matches the .po."""

import gettext
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core.management import call_command

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "nb" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def entries(path):
    with open(path, "rb") as f:
        catalog = read_po(f)
    return [m for m in catalog if m.id]


def test_every_string_in_the_code_has_a_bokmaal_translation(tmp_path, settings, monkeypatch):
    require(shutil.which("xgettext"), "this test needs GNU gettext: apt-get install gettext")
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale)
    settings.LOCALE_PATHS = [locale]
    monkeypatch.chdir(ROOT)
    call_command("makemessages", locale=["nb"], ignore_patterns=["bench/*", "tests/*"], verbosity=0)
    missing = [
        m.id
        for m in entries(locale / "nb" / "LC_MESSAGES" / "django.po")
        if not m.string or m.fuzzy or (isinstance(m.string, tuple) and not all(m.string))
    ]
    assert missing == [], "Run `make messages` and translate: " + repr(missing[:20])


def test_compiled_catalogue_matches_the_po_file():
    with open(MO, "rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    for message in entries(PO):
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


@pytest.mark.django_db
def test_no_fuzzy_or_empty_entries_are_committed():
    bad = [m.id for m in entries(PO) if m.fuzzy or not m.string]
    assert bad == []
