"""Every message to a person, of every type and channel, is written in their language.

The real services and beat write every message type (the fixture of
test_messages_carry_no_health_details) for people whose forms were sent in
nynorsk, or in English. Each message to them must be in that language with
no bokmål left; messages to facilitators and staff stay bokmål.
"""

import re

import pytest

from intake import services as intake_services
from selvhjelp.messaging import render_message

# The facilitator tests' clock and the fixture that writes every message type.
from tests.facilitators.conftest import clock  # noqa: F401
from tests.selvhjelp.test_catalogue import BOKMAAL_ONLY
from tests.selvhjelp.test_messages_carry_no_health_details import (  # noqa: F401
    send_every_message,
    sms_outbox,
)
from tests.selvhjelp.test_page_languages import NORWEGIAN

pytestmark = pytest.mark.django_db

# Names people and staff typed, which stay as they are in every language.
NAMES = [
    "Arna frivilligsentral",
    "Arna bibliotek, møterom 1",
    "Arna frivilligsentral, møterom 2",
    "Tirsdagsgruppa",
    "Onsdagsgruppa",
    "Testesen",
]
PERSON_TYPES = {
    "intake_confirmation",
    "group_welcome",
    "group_first_meeting_reminder",
    "group_meeting_cancelled",
    "group_meeting_moved",
    "group_place_changed",
    "group_cancelled",
    "group_commitment_end",
}


def messages_in(language, send_every_message, monkeypatch):  # noqa: F811
    monkeypatch.setattr(intake_services, "form_language", lambda: language)
    rows = send_every_message()
    to_people = [row for row in rows if row.person_type and row.person_type.model == "intake"]
    others = [row for row in rows if row not in to_people]
    assert {row.message_type for row in to_people} >= PERSON_TYPES
    assert {row.language for row in to_people} == {language}
    assert {row.language or "nb" for row in others} == {"nb"}
    texts = []
    for row in to_people:
        rendered = render_message(row)
        text = f"{rendered.subject}\n{rendered.body}"
        for name in NAMES:
            text = text.replace(name, " ")
        # Addresses keep their Norwegian paths ("/min-gruppe/...").
        text = re.sub(r"https?://\S+", " ", text)
        # Reference codes are random letters ("K7M-MER"), which may spell a word.
        text = re.sub(r"\b[A-Z0-9]{3}-[A-Z0-9]{3}\b", " ", text)
        texts.append((row.message_type, row.channel, text))
    return texts


def test_every_message_to_a_person_who_wrote_in_nynorsk_is_nynorsk(
    send_every_message,  # noqa: F811
    monkeypatch,
):
    texts = messages_in("nn", send_every_message, monkeypatch)
    bokmaal = [
        (kind, channel, BOKMAAL_ONLY.findall(text))
        for kind, channel, text in texts
        if BOKMAAL_ONLY.search(text)
    ]
    assert bokmaal == []
    assert any("Venleg helsing" in text for _kind, _channel, text in texts)


def test_every_message_to_a_person_who_wrote_in_english_is_english(
    send_every_message,  # noqa: F811
    monkeypatch,
):
    texts = messages_in("en", send_every_message, monkeypatch)
    norwegian = [
        (kind, channel, NORWEGIAN.findall(text))
        for kind, channel, text in texts
        if NORWEGIAN.search(text)
    ]
    assert norwegian == []
