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
    from facilitators.demo import SELF_RUN_GROUP

    call_command("seed_demo")

    # The self-run group's messages show the outbox at work: cancelled, never
    # sent (see the test below).
    emails = (
        Membership.objects.filter(group__assignments__isnull=False)
        .exclude(group__name=SELF_RUN_GROUP["name"])
        .values("intake__email")
    )
    assert emails.exists()
    assert not OutboundMessage.objects.filter(recipient__in=emails).exists()


def test_the_demo_has_a_self_run_group_every_other_week_with_a_notice_and_a_visit_asked_for():
    from facilitators.demo import SELF_RUN_GROUP
    from facilitators.visits import visits_to_answer
    from groups.calendar import every_weeks_now
    from groups.models import Absence

    call_command("seed_demo")

    group = Group.objects.get(name=SELF_RUN_GROUP["name"])
    assert group.status == Group.Status.SELF_RUN
    assert every_weeks_now(group) == 2
    assert group.meetings.filter(off_rhythm=True).exists()
    absence = Absence.objects.get(membership__group=group)
    assert absence.is_active
    notices = OutboundMessage.objects.filter(message_type="member_absent", object_id=absence.pk)
    assert notices.count() == group.memberships.active().count() - 1
    visit = FollowUp.objects.get(group=group, kind=FollowUp.Kind.VISIT)
    assert visit.asked_by is not None and visit.visitor is None
    kari = Facilitator.objects.get(user__username="igangsetter-kari")
    assert visit in visits_to_answer(kari)
    emails = group.memberships.values("intake__email")
    assert set(
        OutboundMessage.objects.filter(recipient__in=emails).values_list("status", flat=True)
    ) == {OutboundMessage.Status.CANCELLED}
