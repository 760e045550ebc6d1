"""Overdue follow-ups in the staff's daily digest: a count, never names or notes."""

import datetime

import pytest

from facilitators.models import FollowUp
from selvhjelp import jobs, messaging
from selvhjelp.models import OutboundMessage
from tests.facilitators.conftest import NOW

pytestmark = pytest.mark.django_db


def digest_of(user):
    return OutboundMessage.objects.get(message_type="staff_digest", recipient=user.email)


def test_the_digest_counts_overdue_follow_ups_of_the_centre(make_group, staff, other_centre_staff):
    overdue = [make_group(f"Gruppe {n}").follow_ups.get() for n in range(2)]
    FollowUp.objects.filter(pk__in=[f.pk for f in overdue]).update(
        due_on=NOW.date() - datetime.timedelta(days=1)
    )
    make_group("Senere")  # due in February: not overdue

    assert jobs.staff_digest() == {"digests": 1}

    message = digest_of(staff)
    assert message.context["overdue_follow_ups"] == 2
    body = messaging.render_message(message).body
    assert "2 oppfølginger av grupper er forfalt" in body
    assert "Gruppe 0" not in body


def test_a_done_follow_up_is_not_counted(make_group, staff):
    follow_up = make_group().follow_ups.get()
    FollowUp.objects.filter(pk=follow_up.pk).update(
        due_on=NOW.date() - datetime.timedelta(days=1),
        done_on=NOW.date(),
        outcome=FollowUp.Outcome.GOING_WELL,
    )

    assert jobs.staff_digest() == {"digests": 0}
