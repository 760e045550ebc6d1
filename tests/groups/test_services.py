"""Forming a group, members joining and leaving, status changes, place and commitment."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from facilitators import services as facilitator_services
from groups import meetings as group_meetings
from groups import rules, services
from groups.models import Group, GroupRuleError, Membership
from intake.models import Intake
from selvhjelp.dates import OSLO
from selvhjelp.models import OutboundMessage
from tests.factories import hold_first_meeting
from tests.groups.conftest import FIRST

pytestmark = pytest.mark.django_db

Status = Group.Status


def at(date, hour=18, minute=0):
    return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=OSLO)


# --- form_group -------------------------------------------------------------------


def test_forming_creates_the_group_with_its_frame(group, centre, staff):
    assert group.centre == centre
    assert group.status == Status.PLANNED
    assert group.planned_start == FIRST
    assert group.length == 120
    assert group.created_by == staff


def test_forming_places_everyone_with_history(group, people, staff):
    for person in people:
        person.refresh_from_db()
        assert person.status == Intake.Status.PLACED
        change = person.status_changes.latest("changed_at")
        assert change.changed_by == staff
        assert "Tirsdagsgruppa" in change.reason
    memberships = group.memberships.all()
    assert sorted(m.seat for m in memberships) == [1, 2, 3, 4, 5, 6]
    assert all(m.is_active and m.joined_on == datetime.date(2027, 1, 4) for m in memberships)


def test_forming_plans_twelve_weekly_meetings_at_the_start_time(group):
    meetings = list(group.meetings.order_by("sequence"))

    assert [m.sequence for m in meetings] == list(range(1, 13))
    assert [m.start for m in meetings] == [
        at(FIRST + datetime.timedelta(weeks=week)) for week in range(12)
    ]
    assert all(m.length == 120 and not m.cancelled for m in meetings)


def test_forming_tells_each_participant_where_and_when_and_nothing_else(group, people):
    messages = OutboundMessage.objects.filter(message_type="group_welcome")

    assert {m.recipient for m in messages} == {p.email for p in people}
    context = messages.get(recipient=people[0].email).context
    assert context == {
        "first_name": "Anne",
        "group": "Tirsdagsgruppa",
        "digital": False,
        "place": "Arna frivilligsentral, møterom 2",
        "video_link": "",
        "centre": "Arna frivilligsentral",
        "centre_phone": "+47 55 00 00 00",
        "weekday": "tirsdag",
        "time": "18:00",
        "first_meeting_at": at(FIRST).isoformat(),
    }


def test_the_welcome_message_renders_in_norwegian(group, people):
    from selvhjelp.messaging import render_message

    message = OutboundMessage.objects.get(message_type="group_welcome", recipient=people[0].email)
    rendered = render_message(message)

    assert rendered.subject == "Velkommen til gruppen Tirsdagsgruppa"
    assert "tirsdag 19. januar 2027 klokka 18:00" in rendered.body
    assert "Sted: Arna frivilligsentral, møterom 2" in rendered.body
    for other in people[1:]:
        assert other.name.split()[0] not in rendered.body


def test_a_digital_group_sends_its_link(form, people, centre):
    centre.runs_digital_groups = True
    centre.save()

    group = form(people, format="digital", venue="", video_link="https://video.example/abc")

    assert group.venue == ""
    context = OutboundMessage.objects.filter(message_type="group_welcome").first().context
    assert context["digital"] is True
    assert context["video_link"] == "https://video.example/abc"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"venue": "  "}, "må ha et sted"),
        ({"format": "digital", "video_link": ""}, "må ha en videolenke"),
        ({"format": "digital", "video_link": "https://v.example/x"}, "har ikke digitale grupper"),
        ({"kind": "same", "theme": None}, "må ha et tema"),
        ({"weekday": 2}, "er ikke på en onsdag"),
        ({"length": 20}, "mellom 30 og 240"),
        ({"first_meeting": datetime.date(2027, 3, 29), "weekday": 0}, "helligdag"),
        ({"first_meeting": datetime.date(2026, 12, 29)}, "kan ikke være tilbake i tid"),
    ],
)
def test_a_group_frame_that_makes_no_sense_is_refused(form, people, overrides, message):
    with pytest.raises(GroupRuleError, match=message):
        form(people, **overrides)

    assert not Group.objects.exists()


def test_the_first_meeting_may_be_today(form, people, today):
    today.move_to(at(FIRST, 10))

    assert form(people).planned_start == FIRST


def test_a_group_formed_on_an_earlier_day_may_have_met_since(form, people):
    formed_on = datetime.date(2026, 12, 14)
    first = datetime.date(2026, 12, 29)

    group = form(people, first_meeting=first, formed_on=formed_on, accept_warnings=True)

    assert group.planned_start == first
    assert set(group.memberships.values_list("joined_on", flat=True)) == {formed_on}


def test_a_group_formed_on_an_earlier_day_cannot_have_met_before_it(form, people):
    with translation.override("en"), pytest.raises(GroupRuleError) as refused:
        form(
            people,
            first_meeting=datetime.date(2026, 12, 29),
            formed_on=datetime.date(2027, 1, 1),
        )

    assert refused.value.messages == [
        "The first meeting cannot be before the day the group was formed, 1. January 2027."
    ]
    assert not Group.objects.exists()


def test_a_group_cannot_be_formed_on_a_day_to_come(form, people):
    with translation.override("en"), pytest.raises(GroupRuleError) as refused:
        form(people, formed_on=datetime.date(2027, 1, 5))

    assert refused.value.messages == ["A group cannot be formed on a day that has not come yet."]
    assert not Group.objects.exists()


def test_an_intake_cannot_be_in_two_active_groups_by_the_database(group, people):
    other = Group.objects.create(
        centre=group.centre,
        name="Annen",
        kind="across",
        format="physical",
        venue="Rom 1",
        weekday=2,
        start_time=datetime.time(18),
        planned_start=FIRST,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(group=other, intake=people[0], seat=1)


def test_a_ninth_seat_or_a_taken_seat_is_refused_by_the_database(group, make_person):
    person = make_person("Niende Nina")

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(group=group, intake=person, seat=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(group=group, intake=person, seat=1)


# --- add_member -------------------------------------------------------------------


def test_a_member_joins_a_planned_group_while_there_is_room(group, make_person, staff):
    newcomer = make_person("Gunn Is", gender="woman", birth_year=1981)

    membership = services.add_member(group=group, intake=newcomer, actor=staff)

    assert membership.seat == 7
    newcomer.refresh_from_db()
    assert newcomer.status == Intake.Status.PLACED
    assert OutboundMessage.objects.filter(
        message_type="group_welcome", recipient=newcomer.email
    ).exists()


def test_a_started_group_has_to_agree_to_a_newcomer(group, make_person, staff):
    Group.objects.filter(pk=group.pk).update(status=Status.STARTED)
    newcomer = make_person("Gunn Is", birth_year=1981)

    with pytest.raises(GroupRuleError, match="må si ja"):
        services.add_member(group=group, intake=newcomer, actor=staff)

    membership = services.add_member(group=group, intake=newcomer, actor=staff, group_agreed=True)
    assert membership.is_active


def test_a_newcomer_after_the_start_gets_the_next_meeting_in_the_welcome(
    group, make_person, staff, today
):
    Group.objects.filter(pk=group.pk).update(status=Status.STARTED)
    today.move_to(at(FIRST + datetime.timedelta(weeks=3, days=2), 12))
    newcomer = make_person("Sen Start", birth_year=1981)

    membership = services.add_member(group=group, intake=newcomer, actor=staff, group_agreed=True)

    message = OutboundMessage.objects.get(message_type="group_welcome", recipient=newcomer.email)
    assert (
        message.context["first_meeting_at"] == at(FIRST + datetime.timedelta(weeks=4)).isoformat()
    )
    assert membership.commitment_ends_on == FIRST + datetime.timedelta(weeks=16, days=-1)


def test_a_ninth_member_is_refused(group, make_person, staff):
    for name in ("Sju", "Åtte"):
        services.add_member(group=group, intake=make_person(name, birth_year=1981), actor=staff)
    ninth = make_person("Niende Nina", birth_year=1981)

    with pytest.raises(GroupRuleError, match="er full: Niende Nina"):
        services.add_member(group=group, intake=ninth, actor=staff)

    assert group.memberships.active().count() == 8


def test_adding_checks_the_same_hard_rules(group, make_person, staff, other_centre):
    young = make_person("Unge Ulla", birth_year=2011)
    stranger = make_person("Oslo Olav", centre=other_centre)

    with pytest.raises(GroupRuleError, match="Unge Ulla.*ikke 18 år"):
        services.add_member(group=group, intake=young, actor=staff)
    with pytest.raises(GroupRuleError, match="hører til LINK Oslo"):
        services.add_member(group=group, intake=stranger, actor=staff)


def test_adding_warns_about_the_mix_after_joining(group, make_person, staff):
    old = make_person("Gamle Gunn", birth_year=1950)

    with pytest.raises(rules.UnacceptedWarnings) as raised:
        services.add_member(group=group, intake=old, actor=staff)

    assert "Aldersspennet" in raised.value.warnings[0]
    services.add_member(group=group, intake=old, actor=staff, accept_warnings=True)


def test_nobody_joins_an_ended_group(group, make_person, staff):
    Group.objects.filter(pk=group.pk).update(status=Status.ENDED)

    with pytest.raises(GroupRuleError, match="tar ikke inn nye"):
        services.add_member(group=group, intake=make_person("Ny", birth_year=1981), actor=staff)


# --- remove_member ----------------------------------------------------------------


@pytest.mark.parametrize("after", [Intake.Status.WAITING, Intake.Status.CLOSED])
def test_a_member_leaves_with_date_reason_and_staffs_choice(group, people, staff, after):
    membership = group.memberships.get(intake=people[0])

    services.remove_member(
        membership=membership,
        left_on=datetime.date(2027, 1, 4),
        reason="Flyttet",
        intake_status=after,
        actor=staff,
    )

    membership.refresh_from_db()
    assert membership.left_on == datetime.date(2027, 1, 4)
    assert membership.left_reason == "Flyttet"
    people[0].refresh_from_db()
    assert people[0].status == after
    assert "Flyttet" in people[0].status_changes.latest("changed_at").reason


def test_a_seat_freed_by_leaving_can_be_taken(group, people, make_person, staff):
    for name in ("Sju", "Åtte"):
        services.add_member(group=group, intake=make_person(name, birth_year=1981), actor=staff)
    services.remove_member(
        membership=group.memberships.get(intake=people[0]),
        left_on=datetime.date(2027, 1, 4),
        reason="Flyttet",
        intake_status=Intake.Status.CLOSED,
        actor=staff,
    )

    membership = services.add_member(
        group=group, intake=make_person("Ny", birth_year=1981), actor=staff
    )

    assert membership.seat == 1


def test_someone_who_left_can_join_another_group(group, people, form, make_person, staff):
    services.remove_member(
        membership=group.memberships.get(intake=people[0]),
        left_on=datetime.date(2027, 1, 4),
        reason="Passet ikke",
        intake_status=Intake.Status.WAITING,
        actor=staff,
    )
    others = [make_person(f"Ny {i}", gender=["man", "woman"][i % 2]) for i in range(3)]

    second = form(
        [people[0], *others],
        name="Onsdag",
        weekday=2,
        first_meeting=FIRST + datetime.timedelta(days=1),
        accept_warnings=True,
    )

    assert second.memberships.get(intake=people[0]).is_active


@pytest.mark.parametrize(
    ("left_on", "reason", "message"),
    [
        (datetime.date(2027, 1, 4), " ", "Skriv hvorfor"),
        (datetime.date(2027, 1, 3), "Flyttet", "må være mellom"),
        (datetime.date(2027, 1, 5), "Flyttet", "må være mellom"),
    ],
)
def test_leaving_needs_a_reason_and_a_sensible_date(group, people, staff, left_on, reason, message):
    with pytest.raises(GroupRuleError, match=message):
        services.remove_member(
            membership=group.memberships.get(intake=people[0]),
            left_on=left_on,
            reason=reason,
            intake_status=Intake.Status.WAITING,
            actor=staff,
        )


def test_leaving_twice_is_refused(group, people, staff):
    membership = group.memberships.get(intake=people[0])
    kwargs = {
        "membership": membership,
        "left_on": datetime.date(2027, 1, 4),
        "reason": "Flyttet",
        "intake_status": Intake.Status.CLOSED,
        "actor": staff,
    }
    services.remove_member(**kwargs)

    with pytest.raises(GroupRuleError, match="sluttet allerede"):
        services.remove_member(**kwargs)


# --- record_agreement ---------------------------------------------------------------


@pytest.fixture
def group_facilitator(group, facilitator, staff):
    """`facilitator`, assigned to start `group`."""
    facilitator_services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    return facilitator


def test_the_groups_facilitator_records_the_agreement_now(group, people, group_facilitator):
    hold_first_meeting(group)
    membership = group.memberships.get(intake=people[0])
    before = timezone.now()

    services.record_agreement(membership=membership, actor=group_facilitator.user)

    membership.refresh_from_db()
    assert before <= membership.confidentiality_agreed_at <= timezone.now()


def test_staff_of_the_centre_record_the_agreement_at_a_time_that_has_passed(group, people, staff):
    hold_first_meeting(group)
    membership = group.memberships.get(intake=people[0])

    services.record_agreement(
        membership=membership, actor=staff, at=at(datetime.date(2027, 1, 3), 18, 30)
    )

    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at == at(datetime.date(2027, 1, 3), 18, 30)


def test_a_facilitator_not_assigned_to_the_group_is_refused(
    group, people, group_facilitator, other_facilitator
):
    membership = group.memberships.get(intake=people[0])

    with pytest.raises(GroupRuleError, match="Tirsdagsgruppa"):
        services.record_agreement(membership=membership, actor=other_facilitator.user)

    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


def test_a_withdrawn_facilitator_is_refused(group, people, group_facilitator, staff):
    facilitator_services.withdraw_facilitator(
        assignment=group.assignments.get(facilitator=group_facilitator), actor=staff
    )

    with pytest.raises(GroupRuleError, match="Tirsdagsgruppa"):
        services.record_agreement(
            membership=group.memberships.get(intake=people[0]), actor=group_facilitator.user
        )


def test_staff_of_another_centre_are_refused(group, people, other_centre_staff):
    membership = group.memberships.get(intake=people[0])

    with pytest.raises(GroupRuleError, match="Tirsdagsgruppa"):
        services.record_agreement(membership=membership, actor=other_centre_staff)

    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


def test_an_ended_membership_is_refused_naming_the_first_name_only(group, people, staff):
    membership = group.memberships.get(intake=people[0])
    services.remove_member(
        membership=membership,
        left_on=datetime.date(2027, 1, 4),
        reason="Flyttet",
        intake_status=Intake.Status.CLOSED,
        actor=staff,
    )

    with pytest.raises(GroupRuleError, match="Anne sluttet allerede") as refused:
        services.record_agreement(membership=membership, actor=staff)

    assert "Berg" not in str(refused.value)
    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


def test_an_agreement_already_recorded_is_kept(group, people, staff, group_facilitator):
    hold_first_meeting(group)
    membership = group.memberships.get(intake=people[0])
    first = at(datetime.date(2027, 1, 3), 18, 30)
    services.record_agreement(membership=membership, actor=staff, at=first)

    with pytest.raises(GroupRuleError, match="Anne .*3. januar 2027"):
        services.record_agreement(membership=membership, actor=group_facilitator.user)

    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at == first


def test_an_agreement_in_the_future_is_refused(group, people, staff):
    membership = group.memberships.get(intake=people[0])

    with pytest.raises(GroupRuleError, match="fram i tid"):
        services.record_agreement(
            membership=membership, actor=staff, at=timezone.now() + datetime.timedelta(hours=1)
        )

    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


# --- Status -----------------------------------------------------------------------


def test_a_group_starts_after_its_first_meeting(group, staff, today):
    with pytest.raises(GroupRuleError, match="når det første møtet er holdt"):
        services.start_group(group=group, actor=staff)

    today.move_to(at(FIRST, 20))
    started = services.start_group(group=group, actor=staff)

    assert started.status == Status.STARTED
    assert started.started_on == FIRST


def test_a_group_with_fewer_than_four_does_not_start(group, people, staff, today):
    for person in people[:3]:
        services.remove_member(
            membership=group.memberships.get(intake=person),
            left_on=datetime.date(2027, 1, 4),
            reason="Flyttet",
            intake_status=Intake.Status.CLOSED,
            actor=staff,
        )
    today.move_to(at(FIRST, 20))

    with pytest.raises(GroupRuleError, match="har 3 deltakere og trenger 4"):
        services.start_group(group=group, actor=staff)


def test_a_group_is_not_started_from_a_day_to_come(group, staff, today):
    today.move_to(at(FIRST, 20))

    with translation.override("en"), pytest.raises(GroupRuleError) as refused:
        services.start_group(group=group, actor=staff, on=FIRST + datetime.timedelta(days=1))

    assert refused.value.messages == [
        "A group can only be started today or on a day that has passed."
    ]
    group.refresh_from_db()
    assert group.status == Status.PLANNED
    assert group.started_on is None


def test_a_group_is_not_started_from_before_its_first_meeting(group, staff, today):
    today.move_to(at(FIRST, 20))

    with translation.override("en"), pytest.raises(GroupRuleError) as refused:
        services.start_group(group=group, actor=staff, on=FIRST - datetime.timedelta(days=1))

    assert refused.value.messages == [
        "The group “Tirsdagsgruppa” cannot have started before its first meeting, 19. January 2027."
    ]
    assert Group.objects.get(pk=group.pk).status == Status.PLANNED


@pytest.fixture
def started(group, staff, today):
    """The group, started on the day of its first meeting; now is a week later."""
    today.move_to(at(FIRST, 20))
    services.start_group(group=group, actor=staff)
    today.move_to(at(FIRST + datetime.timedelta(weeks=1), 21))
    group.refresh_from_db()
    return group


def test_a_group_runs_itself_from_a_day_between_its_start_and_today(started, staff):
    on = FIRST + datetime.timedelta(days=3)

    services.mark_self_run(group=started, actor=staff, on=on)

    started.refresh_from_db()
    assert started.status == Status.SELF_RUN
    assert started.self_run_on == on


def test_a_group_does_not_run_itself_from_a_day_to_come(started, staff):
    with translation.override("en"), pytest.raises(GroupRuleError) as refused:
        services.mark_self_run(
            group=started, actor=staff, on=FIRST + datetime.timedelta(weeks=1, days=1)
        )

    assert refused.value.messages == [
        "A group can only run itself from today or a day that has passed."
    ]
    started.refresh_from_db()
    assert started.status == Status.STARTED
    assert started.self_run_on is None


def test_a_group_does_not_run_itself_from_before_it_started(started, staff):
    with translation.override("en"), pytest.raises(GroupRuleError) as refused:
        services.mark_self_run(group=started, actor=staff, on=FIRST - datetime.timedelta(days=1))

    assert refused.value.messages == [
        "The group “Tirsdagsgruppa” started on 19. January 2027; it cannot run itself before that."
    ]
    assert Group.objects.get(pk=started.pk).status == Status.STARTED


def test_a_group_does_not_end_before_it_started(started, staff):
    with translation.override("en"), pytest.raises(GroupRuleError) as refused:
        services.end_group(group=started, actor=staff, on=FIRST - datetime.timedelta(days=1))

    assert refused.value.messages == [
        "The group “Tirsdagsgruppa” started on 19. January 2027; it cannot have ended before that."
    ]
    assert Group.objects.get(pk=started.pk).status == Status.STARTED


def test_the_full_life_of_a_group(group, people, staff, today):
    today.move_to(at(FIRST + datetime.timedelta(weeks=4), 21))
    services.start_group(group=group, actor=staff, on=FIRST)
    services.mark_self_run(group=group, actor=staff)
    ended = services.end_group(group=group, actor=staff, reason="Gruppen ville avslutte")

    assert ended.status == Status.ENDED
    assert ended.ended_on == datetime.date(2027, 2, 16)
    assert ended.self_run_on == datetime.date(2027, 2, 16)
    assert not group.memberships.active().exists()
    assert all(
        p.status == Intake.Status.CLOSED
        for p in Intake.objects.filter(pk__in=[p.pk for p in people])
    )
    assert not group.meetings.filter(cancelled=False, start__gt=at(ended.ended_on, 23)).exists()
    assert group.meetings.filter(cancelled=False).count() == 5  # the ones held


@pytest.mark.parametrize(
    ("status", "to"),
    [
        (Status.PLANNED, Status.SELF_RUN),
        (Status.PLANNED, Status.ENDED),
        (Status.STARTED, Status.STARTED),
        (Status.STARTED, Status.CANCELLED),
        (Status.SELF_RUN, Status.CANCELLED),
        (Status.ENDED, Status.SELF_RUN),
        (Status.CANCELLED, Status.STARTED),
    ],
)
def test_status_changes_that_make_no_sense_are_refused(group, staff, today, status, to):
    today.move_to(at(FIRST, 20))
    Group.objects.filter(pk=group.pk).update(status=status)
    change = {
        Status.STARTED: lambda: services.start_group(group=group, actor=staff),
        Status.SELF_RUN: lambda: services.mark_self_run(group=group, actor=staff),
        Status.ENDED: lambda: services.end_group(group=group, actor=staff, reason="x"),
        Status.CANCELLED: lambda: services.cancel_group(group=group, actor=staff, reason="x"),
    }[to]

    with pytest.raises(GroupRuleError):
        change()

    group.refresh_from_db()
    assert group.status == status


def test_cancelling_a_planned_group_sends_everyone_back_to_waiting_and_tells_them(
    group, people, staff
):
    services.cancel_group(group=group, actor=staff, reason="Fant ikke lokale")

    group.refresh_from_db()
    assert group.status == Status.CANCELLED
    assert group.cancelled_on == datetime.date(2027, 1, 4)
    assert group.closing_reason == "Fant ikke lokale"
    assert all(
        p.status == Intake.Status.WAITING
        for p in Intake.objects.filter(pk__in=[p.pk for p in people])
    )
    assert not group.meetings.filter(cancelled=False).exists()
    assert OutboundMessage.objects.filter(message_type="group_cancelled").count() == 6
    assert all("Fant ikke" not in str(m.context) for m in OutboundMessage.objects.all())


def test_the_week_number_counts_from_the_first_meeting(group):
    assert group.week_number(FIRST - datetime.timedelta(days=1)) is None
    assert group.week_number(FIRST) == 1
    assert group.week_number(FIRST + datetime.timedelta(days=6)) == 1
    assert group.week_number(FIRST + datetime.timedelta(days=7)) == 2
    assert group.week_number(FIRST + datetime.timedelta(weeks=30)) == 31


# --- Single meetings ----------------------------------------------------------------


def meeting(group, sequence):
    return group.meetings.get(sequence=sequence)


def test_changing_the_venue_tells_the_members(group, staff):
    services.change_place(group=group, venue="Nytt rom 3", video_link="", actor=staff)

    group.refresh_from_db()
    assert group.venue == "Nytt rom 3"
    message = OutboundMessage.objects.filter(message_type="group_place_changed").first()
    assert message.context["place"] == "Nytt rom 3"
    assert message.context["next_meeting_at"] == at(FIRST).isoformat()


def test_changing_the_venue_gives_each_meeting_ahead_a_new_revision(group, staff, today):
    today.move_to(at(FIRST, 21))

    services.change_place(group=group, venue="Nytt rom 3", video_link="", actor=staff)

    assert meeting(group, 1).revision == 0
    assert {m.revision for m in group.meetings.exclude(sequence=1)} == {1}


def test_the_same_venue_again_changes_no_revision(group, staff):
    services.change_place(group=group, venue=group.venue, video_link="", actor=staff)

    assert set(group.meetings.values_list("revision", flat=True)) == {0}


def test_commitment_end_is_twelve_weeks_from_the_first_meeting_attended(group, people):
    from groups.selectors import memberships_with_commitment

    plain = group.memberships.get(intake=people[0])
    annotated = memberships_with_commitment().get(pk=plain.pk)

    assert plain.commitment_ends_on == datetime.date(2027, 4, 12)
    assert annotated.commitment_ends_on == datetime.date(2027, 4, 12)
    plain.first_attended_on = FIRST + datetime.timedelta(weeks=1)
    assert plain.commitment_ends_on == datetime.date(2027, 4, 19)


def test_commitment_skips_a_cancelled_first_meeting(group, people, staff):
    group_meetings.cancel_meeting(meeting=meeting(group, 1), reason="Syk", actor=staff)

    membership = group.memberships.get(intake=people[0])

    assert membership.commitment_starts_on == FIRST + datetime.timedelta(weeks=1)


def test_the_agreement_is_recorded_only_once_the_group_has_met(group, people, staff):
    membership = group.memberships.get(intake=people[0])

    with pytest.raises(GroupRuleError):
        services.record_agreement(membership=membership, actor=staff)
    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


def test_a_record_made_today_can_be_undone(group, people, group_facilitator):
    hold_first_meeting(group)
    membership = group.memberships.get(intake=people[0])
    services.record_agreement(membership=membership, actor=group_facilitator.user)

    services.undo_agreement(membership=membership, actor=group_facilitator.user)

    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is None


def test_an_older_record_cannot_be_undone(group, people, staff):
    hold_first_meeting(group)
    membership = group.memberships.get(intake=people[0])
    services.record_agreement(
        membership=membership, actor=staff, at=at(datetime.date(2027, 1, 3), 18, 30)
    )

    with pytest.raises(GroupRuleError):
        services.undo_agreement(membership=membership, actor=staff)
    membership.refresh_from_db()
    assert membership.confidentiality_agreed_at is not None
