"""The personal calendar feed, read back with the icalendar library."""

import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse

from facilitators import services
from groups import meetings as group_meetings
from groups import services as group_services
from tests.facilitators.conftest import FIRST, SURNAMES

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
WEEK = datetime.timedelta(weeks=1)


@pytest.fixture
def attending_two(assignment, staff):
    """The facilitator attends the group's first two meetings."""
    return services.change_attendance(assignment=assignment, meetings_attended=2, actor=staff)


def fetch(client, facilitator):
    response = client.get(reverse("facilitators:calendar-feed", args=[facilitator.calendar_token]))
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.content)


def events(calendar):
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def meeting_uid(meeting):
    return f"meeting-{meeting.pk}@127.0.0.1"


def test_lists_the_meetings_attended_and_the_follow_up(client, attending_two, facilitator):
    group = attending_two.group
    first, second = group.meetings.filter(sequence__in=[1, 2]).order_by("sequence")
    follow_up = group.follow_ups.get()

    found = events(fetch(client, facilitator))

    assert set(found) == {
        meeting_uid(first),
        meeting_uid(second),
        f"follow-up-{follow_up.pk}@127.0.0.1",
    }
    assert str(found[meeting_uid(first)]["SUMMARY"]) == "Selvhjelpsgruppe: Tirsdagsgruppa"
    assert str(found[meeting_uid(first)]["LOCATION"]) == "Arna frivilligsentral, møterom 2"
    assert str(found[meeting_uid(first)]["STATUS"]) == "CONFIRMED"
    assert found[f"follow-up-{follow_up.pk}@127.0.0.1"].start == datetime.date(2027, 2, 16)


def test_meeting_times_are_in_europe_oslo(client, attending_two, facilitator):
    calendar = fetch(client, facilitator)
    first = attending_two.group.meetings.get(sequence=1)

    event = events(calendar)[meeting_uid(first)]

    assert event.start == datetime.datetime(2027, 1, 19, 18, 0, tzinfo=OSLO)
    assert event.end == datetime.datetime(2027, 1, 19, 20, 0, tzinfo=OSLO)
    assert str(event.start.tzinfo) == "Europe/Oslo"
    assert "TZID=Europe/Oslo" in event.to_ical().decode()
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Oslo"]


def test_uids_stay_the_same_from_one_fetch_to_the_next(client, attending_two, facilitator):
    assert set(events(fetch(client, facilitator))) == set(events(fetch(client, facilitator)))


def test_a_moved_meeting_keeps_its_uid_with_a_new_time_and_a_higher_sequence(
    client, attending_two, facilitator, staff
):
    second = attending_two.group.meetings.get(sequence=2)
    before = events(fetch(client, facilitator))[meeting_uid(second)]

    group_meetings.move_meeting(
        meeting=second, date=FIRST + WEEK + datetime.timedelta(1), actor=staff
    )
    after = events(fetch(client, facilitator))[meeting_uid(second)]

    assert after.start == datetime.datetime(2027, 1, 27, 18, 0, tzinfo=OSLO)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_a_cancelled_meeting_is_marked_cancelled_and_the_next_one_takes_its_place(
    client, attending_two, facilitator, staff
):
    group = attending_two.group
    second = group.meetings.get(sequence=2)
    group_meetings.cancel_meeting(meeting=second, reason="Lokalet er opptatt", actor=staff)

    found = events(fetch(client, facilitator))

    cancelled = found[meeting_uid(second)]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 1
    assert meeting_uid(group.meetings.get(sequence=3)) in found


def test_a_moved_follow_up_gets_a_higher_sequence(client, attending_two, facilitator, staff):
    follow_up = attending_two.group.follow_ups.get()
    uid = f"follow-up-{follow_up.pk}@127.0.0.1"
    before = events(fetch(client, facilitator))[uid]

    group_meetings.cancel_meeting(
        meeting=attending_two.group.meetings.get(sequence=3), reason="Stengt", actor=staff
    )
    after = events(fetch(client, facilitator))[uid]

    assert after.start == datetime.date(2027, 2, 23)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_a_new_venue_reaches_the_calendar_with_a_higher_sequence(
    client, attending_two, facilitator, staff
):
    second = attending_two.group.meetings.get(sequence=2)
    before = events(fetch(client, facilitator))[meeting_uid(second)]

    group_services.change_place(
        group=attending_two.group, venue="Åsane bydelshus, sal 1", video_link="", actor=staff
    )
    after = events(fetch(client, facilitator))[meeting_uid(second)]

    assert str(after["LOCATION"]) == "Åsane bydelshus, sal 1"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_a_completed_follow_ups_note_never_appears_in_the_feed(client, attending_two, facilitator):
    follow_up = attending_two.group.follow_ups.get()
    services.complete_follow_up(
        follow_up=follow_up,
        done_on=datetime.date(2027, 1, 4),
        outcome="needs_support",
        note="Ønsker nytt rom, savner Tveiterås",
        actor=facilitator.user,
    )

    calendar = fetch(client, facilitator)

    event = events(calendar)[f"follow-up-{follow_up.pk}@127.0.0.1"]
    assert "Utført 4. januar 2027." in str(event["DESCRIPTION"])
    # Unfolded: icalendar folds long lines, which could split the words.
    text = calendar.to_ical().decode().replace("\r\n ", "")
    assert "Ønsker nytt rom" not in text
    assert "savner" not in text
    assert "Tveiter" not in text


def test_no_participant_names_themes_or_reasons_in_any_event(
    client, attending_two, facilitator, staff
):
    group = attending_two.group
    group_meetings.cancel_meeting(
        meeting=group.meetings.get(sequence=2), reason="Anne er innlagt", actor=staff
    )
    members = [m.intake for m in group.memberships.select_related("intake")]

    body = client.get(
        reverse("facilitators:calendar-feed", args=[facilitator.calendar_token])
    ).content.decode()
    text = icalendar.Calendar.from_ical(body).to_ical().decode()

    for intake in members:
        assert intake.name.split()[0] not in text
        for theme in intake.themes.all():
            assert theme.name not in text
        if intake.about:
            assert intake.about not in text
    assert not any(surname in text for surname in SURNAMES)
    assert "innlagt" not in text


def test_a_group_the_facilitator_is_withdrawn_from_leaves_the_feed(
    client, attending_two, facilitator, staff
):
    services.withdraw_facilitator(assignment=attending_two, actor=staff)

    assert events(fetch(client, facilitator)) == {}


def test_a_digital_meeting_gives_the_video_link(client, make_group, facilitator, staff, centre):
    centre.runs_digital_groups = True
    centre.save()
    group = make_group("Video", format="digital", venue="", video_link="https://v.example.no/x")
    services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)

    (event,) = [e for e in fetch(client, facilitator).walk("VEVENT") if "meeting" in e["UID"]]

    assert str(event["LOCATION"]) == "https://v.example.no/x"
    assert str(event["URL"]) == "https://v.example.no/x"
