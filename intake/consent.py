"""The consent text people agree to on the interest form, kept word for word.

The form shows CONSENT_SUMMARY in the person's language (the translation
catalogues). Each intake stores CONSENT_VERSION and that language, and the
exact words of every version in every language are stored as ConsentText
rows, which never change: the export shows a person the words they agreed to,
and /meld-interesse/samtykke/<version>/ shows them to anyone.

Changing the words means a new CONSENT_VERSION. Rows are written by a data
migration (the words of each version as it was released) and by
`manage.py record_consent_texts` (run on every deploy, after migrate), which
stores the current words for any language that has none yet and refuses,
failing the deploy, when the stored words of the current version differ from
the catalogue's. A test fails the same way. A new language is one entry in
settings.LANGUAGES (and its catalogue): the command stores its words.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

CONSENT_VERSION = "2026-12"

CONSENT_SUMMARY = _(
    "I agree that the centre I have chosen stores what I write in this form, including "
    "what I tell about my situation, to contact me and find a group for me. Only the "
    "centre's staff can read it; a national administrator of the website can read it "
    "only after giving a reason, which is recorded. I can withdraw my consent at any time."
)


class ConsentTextChanged(Exception):
    """The words of a stored consent version differ from what the form shows now."""


def languages():
    """The languages the form is offered in: a consent text is kept for each."""
    return [code for code, _name in settings.LANGUAGES]


def current_text(language):
    """The words the form shows now in `language`."""
    with translation.override(language):
        return str(CONSENT_SUMMARY)


def form_language():
    """The language of the current request's form (the one its consent is stored in)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language if language in languages() else settings.LANGUAGE_CODE


def changed_texts():
    """[(version, language)] whose stored words differ from the form's current ones."""
    from .models import ConsentText

    stored = ConsentText.objects.filter(version=CONSENT_VERSION, language__in=languages())
    return [(row.version, row.language) for row in stored if row.text != current_text(row.language)]


def record_consent_texts():
    """Store the current version's words for every language not stored yet.

    Raises ConsentTextChanged, storing nothing, when the stored words of the
    current version differ from the form's. Returns the languages stored.
    """
    from .models import ConsentText

    changed = changed_texts()
    if changed:
        languages_changed = ", ".join(language for _version, language in changed)
        raise ConsentTextChanged(
            f"The consent text of version {CONSENT_VERSION} changed ({languages_changed}) but "
            "CONSENT_VERSION did not: give the new words a new version in intake/consent.py."
        )
    have = set(
        ConsentText.objects.filter(version=CONSENT_VERSION).values_list("language", flat=True)
    )
    missing = [language for language in languages() if language not in have]
    ConsentText.objects.bulk_create(
        [
            ConsentText(version=CONSENT_VERSION, language=language, text=current_text(language))
            for language in missing
        ],
        ignore_conflicts=True,
    )
    return missing


def text_agreed_to(intake):
    """The ConsentText the person of `intake` agreed to (None if it is not stored)."""
    from .models import ConsentText

    texts = {
        row.language: row for row in ConsentText.objects.filter(version=intake.consent_version)
    }
    # Forms sent before the language was kept were all in bokmål.
    return texts.get(intake.consent_language or settings.LANGUAGE_CODE)
