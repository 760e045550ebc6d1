"""A member gets the group's messages in the language of their interest form."""

import pytest

from selvhjelp.messaging import render_message
from selvhjelp.models import OutboundMessage

pytestmark = pytest.mark.django_db


def test_the_welcome_reaches_a_nynorsk_member_in_nynorsk_and_the_others_in_bokmaal(form, people):
    people[0].language = "nn"
    people[0].save(update_fields=["language"])

    form(people)

    nynorsk = render_message(
        OutboundMessage.objects.get(message_type="group_welcome", recipient=people[0].email)
    )
    assert nynorsk.subject == "Velkomen til gruppa Tirsdagsgruppa"
    # The weekday, kept as text in the outbox, and the date are nynorsk too.
    assert "Gruppa møtest kvar tysdag klokka 18:00." in nynorsk.body
    assert "tysdag 19. januar 2027 klokka 18:00" in nynorsk.body
    assert "Stad: Arna frivilligsentral, møterom 2" in nynorsk.body

    bokmaal = render_message(
        OutboundMessage.objects.get(message_type="group_welcome", recipient=people[1].email)
    )
    assert bokmaal.subject == "Velkommen til gruppen Tirsdagsgruppa"
    assert "hver tirsdag klokka 18:00" in bokmaal.body
