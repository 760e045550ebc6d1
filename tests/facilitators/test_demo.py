"""The demo data gives the facilitators something to see in `make run`."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from facilitators import selectors
from facilitators.models import Assignment, Facilitator, FollowUp
from groups.models import Group, Membership
from selvhjelp.models import OutboundMessage

pytestmark = pytest.mark.django_db


def counts():
    return (Group.objects.count(), Assignment.objects.count(), FollowUp.objects.count())


def test_every_demo_facilitator_has_a_group_and_meetings_ahead():
    call_command("seed_demo")

    now = timezone.now()
    for facilitator in Facilitator.objects.all():
        assignments = selectors.active_assignments(facilitator)
        assert assignments, facilitator
        upcoming = [m for m in selectors.attended_meetings(assignments) if m.start > now]
        assert upcoming, facilitator


def test_kari_has_a_follow_up_that_is_due():
    call_command("seed_demo")

    kari = Facilitator.objects.get(user__username="igangsetter-kari")
    follow_ups = selectors.open_follow_ups(selectors.active_assignments(kari))
    today = timezone.localdate()
    assert any(today - datetime.timedelta(days=7) <= f.due_on <= today for f in follow_ups), (
        follow_ups
    )


def test_seeding_twice_creates_nothing_more():
    call_command("seed_demo")
    first = counts()

    call_command("seed_demo")

    assert counts() == first


def test_the_people_of_the_demo_groups_get_no_messages():
    call_command("seed_demo")

    emails = Membership.objects.filter(group__assignments__isnull=False).values("intake__email")
    assert emails.exists()
    assert not OutboundMessage.objects.filter(recipient__in=emails).exists()
