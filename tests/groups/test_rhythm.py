"""Every other week: from a date after the first 12 weeks, and back; schedule, feed and messages."""

import datetime

import icalendar
import pytest
from django.urls import reverse

from groups import calendar, meetings, members, services
from groups.models import GroupRuleError, RhythmChange
from selvhjelp.dates import OSLO
from selvhjelp.models import OutboundMessage

pytestmark = pytest.mark.django_db

D = datetime.date
START = D(2026, 11, 30)  # a Monday; the series' week 14 is Monday 1 March 2027


def at(date, hour=10):
    return datetime.datetime.combine(date, datetime.time(hour), tzinfo=OSLO)


@pytest.fixture
def group(form, people, staff, today):
    """A Monday group that started 30 November 2026 and runs itself; now Saturday 20 February."""
    today.move_to(at(D(2026, 11, 20)))
    group = form(people, weekday=0, first_meeting=START, accept_warnings=True)
    today.move_to(at(D(2026, 12, 1)))
    services.start_group(group=group, actor=staff)
    services.mark_self_run(group=group, actor=staff)
    today.move_to(at(D(2027, 2, 20)))
    meetings.extend_schedules()
    return group


def dates(group, **filters):
    rows = group.meetings.filter(**filters).order_by("start")
    return [row.start.astimezone(OSLO).date() for row in rows]


def test_the_group_meets_every_other_week_from_the_date(group, staff):
    change = meetings.change_rhythm(
        group=group, starts_on=D(2027, 2, 26), every_weeks=2, actor=staff
    )
    assert change.starts_on == D(2027, 3, 1)  # the first meeting on or after the date
    ahead = [d for d in dates(group, cancelled=False) if d >= D(2027, 2, 20)]
    assert ahead[:6] == [
        D(2027, 2, 22),  # week 13: still weekly
        D(2027, 3, 1),
        D(2027, 3, 15),
        # 29 March is Easter Monday: cancelled as every public holiday is
        D(2027, 4, 12),
        D(2027, 4, 26),
        D(2027, 5, 10),
    ]
    off = group.meetings.filter(off_rhythm=True).order_by("start")
    assert [m.start.astimezone(OSLO).date() for m in off] == [
        D(2027, 3, 8),
        D(2027, 3, 22),
        D(2027, 4, 5),
        D(2027, 4, 19),
    ]
    assert all(m.cancelled and m.revision == 1 for m in off)
    easter = group.meetings.get(start__date=D(2027, 3, 29))
    assert easter.cancelled and easter.holiday and not easter.off_rhythm
    # Clock time stays 18:00 on both sides of the change to summer time (28 March).
    assert {m.start.astimezone(OSLO).time() for m in group.meetings.all()} == {datetime.time(18)}


def test_the_schedule_keeps_eight_meetings_ahead_at_the_new_rhythm(group, staff):
    meetings.change_rhythm(group=group, starts_on=D(2027, 3, 1), every_weeks=2, actor=staff)
    assert meetings.extend_schedules() == 0  # nothing more to add
    upcoming = group.meetings.not_cancelled().filter(start__gt=at(D(2027, 2, 20)))
    assert upcoming.count() == 8


def test_back_to_weekly_brings_back_the_weeks_in_between(group, staff, today):
    meetings.change_rhythm(group=group, starts_on=D(2027, 3, 1), every_weeks=2, actor=staff)
    today.move_to(at(D(2027, 3, 31)))
    meetings.change_rhythm(group=group, starts_on=D(2027, 4, 15), every_weeks=1, actor=staff)
    ahead = [d for d in dates(group, cancelled=False) if d >= D(2027, 4, 12)]
    weekly = [D(2027, 4, 12), D(2027, 4, 19), D(2027, 4, 26), D(2027, 5, 3), D(2027, 5, 10)]
    assert ahead[:5] == weekly
    # 17 May (Whit Monday and Constitution Day) is a holiday, cancelled as always.
    assert group.meetings.get(start__date=D(2027, 5, 17)).cancelled
    week_19_april = group.meetings.get(start__date=D(2027, 4, 19))
    assert not week_19_april.off_rhythm and week_19_april.revision == 2


def test_the_first_12_weeks_stay_weekly(group, staff):
    with pytest.raises(GroupRuleError, match="første 12 ukene"):
        meetings.change_rhythm(group=group, starts_on=D(2027, 2, 15), every_weeks=2, actor=staff)
    assert not RhythmChange.objects.exists()


def test_a_group_that_has_not_started_cannot_change(form, people, staff):
    planned = form(people[:4], name="Ny", accept_warnings=True)
    with pytest.raises(GroupRuleError, match="bare en gruppe som har startet"):
        meetings.change_rhythm(group=planned, starts_on=D(2027, 6, 1), every_weeks=2, actor=staff)


def test_a_change_that_changes_nothing_or_comes_before_the_last_is_refused(group, staff):
    with pytest.raises(GroupRuleError, match="allerede hver uke"):
        meetings.change_rhythm(group=group, starts_on=D(2027, 3, 1), every_weeks=1, actor=staff)
    meetings.change_rhythm(group=group, starts_on=D(2027, 3, 15), every_weeks=2, actor=staff)
    with pytest.raises(GroupRuleError, match="velg en senere dato"):
        meetings.change_rhythm(group=group, starts_on=D(2027, 3, 1), every_weeks=1, actor=staff)


def test_the_members_are_told_once_with_the_next_meeting(group, staff):
    change = meetings.change_rhythm(
        group=group, starts_on=D(2027, 3, 1), every_weeks=2, actor=staff
    )
    told = OutboundMessage.objects.filter(message_type="group_rhythm_changed")
    assert told.count() == group.memberships.active().count()
    assert {m.context["next_meeting_at"][:10] for m in told} == {"2027-03-01"}
    assert all(m.object_id == change.pk for m in told)
    # The cancelled off-rhythm weeks do not each send a "cancelled" message.
    assert not OutboundMessage.objects.filter(
        message_type="group_meeting_cancelled", context__meeting_at__startswith="2027-03-08"
    ).exists()


def test_the_members_calendar_shows_the_right_dates_across_a_holiday_and_summer_time(group, staff):
    meetings.change_rhythm(group=group, starts_on=D(2027, 3, 1), every_weeks=2, actor=staff)
    anne = group.memberships.first()
    feed = icalendar.Calendar.from_ical(calendar.member_feed(anne))
    events = {
        event.decoded("dtstart").date(): (event.decoded("dtstart"), str(event["status"]))
        for event in feed.walk("VEVENT")
    }
    confirmed = sorted(day for day, (_start, status) in events.items() if status == "CONFIRMED")
    assert [d for d in confirmed if d <= D(2027, 4, 30)] == [
        D(2027, 1, 25),
        D(2027, 2, 1),
        D(2027, 2, 8),
        D(2027, 2, 15),
        D(2027, 2, 22),
        D(2027, 3, 1),
        D(2027, 3, 15),
        D(2027, 4, 12),
        D(2027, 4, 26),
    ]
    assert events[D(2027, 3, 29)][1] == "CANCELLED"  # Easter Monday
    assert events[D(2027, 3, 8)][1] == "CANCELLED"  # not in the rhythm
    before, after = events[D(2027, 3, 15)][0], events[D(2027, 4, 12)][0]
    assert before.hour == after.hour == 18
    assert before.utcoffset() == datetime.timedelta(hours=1)
    assert after.utcoffset() == datetime.timedelta(hours=2)
    assert any(c.name == "VTIMEZONE" for c in feed.subcomponents)
    text = calendar.member_feed(anne).decode()
    for membership in group.memberships.select_related("intake"):
        assert membership.intake.email not in text
        assert membership.intake.name not in text


def test_the_member_page_says_every_other_week(group, staff, client):
    meetings.change_rhythm(group=group, starts_on=D(2027, 2, 22), every_weeks=2, actor=staff)
    anne = group.memberships.first()
    response = client.get(f"/min-gruppe/{anne.link_token}/")
    assert "annenhver mandag" in response.content.decode()
    listed = [m.start.astimezone(OSLO).date() for m in members.upcoming_meetings(anne)]
    assert D(2027, 3, 1) not in listed  # off-rhythm weeks are not shown
    assert D(2027, 3, 8) in listed


# --- Who changes it: staff in the admin, a facilitator at the follow-up -------------------


def test_staff_change_the_rhythm_in_the_admin(group, staff_client):
    url = reverse("admin:groups_rhythmchange_add")
    data = {"group": group.pk, "starts_on": "2027-03-01", "every_weeks": 2}
    response = staff_client.post(url, data)
    assert response.status_code == 302
    change = RhythmChange.objects.get()
    assert change.starts_on == D(2027, 3, 1) and change.created_by is not None
    assert group.meetings.filter(off_rhythm=True).exists()
    too_early = staff_client.post(url, {**data, "starts_on": "2027-02-01", "every_weeks": 1})
    assert "De første 12 ukene" in too_early.content.decode()
    history = reverse("admin:groups_rhythmchange_change", args=[change.pk])
    assert staff_client.post(history, data).status_code == 403  # kept, not edited


def test_staff_of_another_centre_cannot_change_the_group(group, other_staff_client):
    url = reverse("admin:groups_rhythmchange_add")
    data = {"group": group.pk, "starts_on": "2027-03-01", "every_weeks": 2}
    response = other_staff_client.post(url, data)
    assert response.status_code == 200  # the form again: no such group to choose
    assert not RhythmChange.objects.exists()


def test_a_facilitator_records_every_other_week_at_the_follow_up(group, staff, today):
    from facilitators.forms import FollowUpForm
    from facilitators.models import FollowUp

    follow_up = FollowUp.objects.get(group=group, kind=FollowUp.Kind.START_UP)
    data = {"done_on": "20.02.2027", "outcome": "going_well", "every_other_week_from": "1.2.2027"}
    form = FollowUpForm(data, follow_up=follow_up)
    assert not form.is_valid()
    assert "De første 12 ukene" in str(form.errors["every_other_week_from"])
    form = FollowUpForm({**data, "every_other_week_from": "01.03.2027"}, follow_up=follow_up)
    assert form.is_valid(), form.errors
    assert form.save(actor=staff) is not None
    follow_up.refresh_from_db()
    assert follow_up.is_done
    assert RhythmChange.objects.get(group=group).every_weeks == 2
