"""The demo groups: one in every status, formed through the services, never messaging anyone."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from groups.models import Group, Membership
from selvhjelp.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo")


def test_the_demo_has_a_group_in_every_status_formed_by_the_rules(seeded):
    assert set(Group.objects.values_list("status", flat=True)) == set(Group.Status.values)
    for group in Group.objects.active():
        members = group.memberships.active()
        assert 4 <= members.count() <= 8
        assert all(m.intake.centre_id == group.centre_id for m in members)
        assert group.meetings.filter(cancelled=False, start__gt=timezone.now()).count() >= 8
    cancelled = Group.objects.get(status=Group.Status.CANCELLED)
    assert not cancelled.memberships.active().exists()
    assert {m.intake.status for m in cancelled.memberships.all()} == {"waiting"}
    ended = Group.objects.get(status=Group.Status.ENDED, name="Vårgruppa i Arna")
    assert all(m.left_on == ended.ended_on for m in ended.memberships.all())


def test_no_demo_message_is_ever_sent(seeded):
    assert OutboundMessage.objects.filter(message_type="group_welcome").exists()
    assert not OutboundMessage.objects.filter(
        status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.SENT]
    ).exists()


def test_seeding_twice_creates_nothing_twice(seeded):
    def counts():
        return (Group.objects.count(), Membership.objects.count(), OutboundMessage.objects.count())

    before = counts()
    call_command("seed_demo")

    assert counts() == before
