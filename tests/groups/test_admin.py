"""Staff work with groups in the admin: forming from the intake list, the group list and page."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups.models import Group, Meeting, Membership
from intake.models import Intake
from selvhjelp.dates import OSLO
from selvhjelp.models import OutboundMessage
from tests.factories import IntakeFactory
from tests.groups.conftest import FIRST

pytestmark = pytest.mark.django_db

INTAKES = "/admin/intake/intake/"
GROUPS = "/admin/groups/group/"


def selection(intakes):
    return {"action": "form_group_action", "_selected_action": [i.pk for i in intakes]}


def frame_data(centre, **overrides):
    data = {
        "group-centre": centre.pk,
        "group-name": "Tirsdagsgruppa",
        "group-kind": "across",
        "group-theme": "",
        "group-format": "physical",
        "group-venue": "Møterom 2",
        "group-video_link": "",
        "group-weekday": "1",
        "group-start_time": "18:00",
        "group-length": "120",
        "group-first_meeting": FIRST.isoformat(),
    }
    data.update({f"group-{key}": value for key, value in overrides.items()})
    return data


def page(response):
    return response.content.decode()


# --- Forming a group from the intake list --------------------------------------------


def test_the_action_opens_the_check_page_with_the_selected_people(staff_client, people):
    response = staff_client.post(INTAKES, selection(people))

    html = page(response)
    assert response.status_code == 200
    assert "Lag en gruppe" in html
    assert "6 personer valgt" in html
    for person in people:
        assert person.name in html
    assert 'name="_check"' in html
    assert 'name="_form"' not in html  # nothing is saved before a check
    # The time most of them can meet is suggested.
    assert 'name="group-weekday"' in html
    assert Group.objects.count() == 0


def test_checking_shows_the_schedule_and_then_forming_saves_the_group(staff_client, people, centre):
    checked = staff_client.post(INTAKES, {**selection(people), **frame_data(centre), "_check": ""})

    html = page(checked)
    assert "Utvalget følger både reglene og rådene." in html
    assert "tirsdag 19. januar 2027" in html
    assert "tirsdag 6. april 2027" in html  # the twelfth meeting
    assert 'name="_form"' in html

    formed = staff_client.post(INTAKES, {**selection(people), **frame_data(centre), "_form": ""})

    group = Group.objects.get()
    assert formed.status_code == 302
    assert formed.url == f"{GROUPS}{group.pk}/change/"
    assert group.memberships.count() == 6
    assert group.meetings.count() == 12
    assert all(p.status == Intake.Status.PLACED for p in Intake.objects.all())
    assert OutboundMessage.objects.filter(message_type="group_welcome").count() == 6
    followed = staff_client.get(formed.url)
    assert "Gruppen «Tirsdagsgruppa» er laget." in page(followed)


def test_warnings_are_shown_and_accepted_with_one_click(staff_client, make_person, centre):
    women = [make_person(f"Kvinne {i}") for i in range(5)]

    checked = staff_client.post(INTAKES, {**selection(women), **frame_data(centre), "_check": ""})

    html = page(checked)
    assert "Alle med oppgitt kjønn har samme kjønn (kvinne)" in html
    assert 'name="_form_anyway"' in html
    assert 'name="_form"' not in html
    refused = staff_client.post(INTAKES, {**selection(women), **frame_data(centre), "_form": ""})
    assert refused.status_code == 200
    assert not Group.objects.exists()

    staff_client.post(INTAKES, {**selection(women), **frame_data(centre), "_form_anyway": ""})

    assert Group.objects.get().memberships.count() == 5


def test_a_broken_rule_is_shown_by_name_and_nothing_can_be_formed(
    staff_client, people, make_person, centre
):
    young = make_person("Unge Ulla", birth_year=2010)
    chosen = [*people[:4], young]

    checked = staff_client.post(INTAKES, {**selection(chosen), **frame_data(centre), "_check": ""})
    html = page(checked)
    assert "Gruppen kan ikke lages slik:" in html
    assert "Unge Ulla" in html and "er ikke 18 år" in html
    assert 'name="_form' not in html

    staff_client.post(INTAKES, {**selection(chosen), **frame_data(centre), "_form_anyway": ""})
    assert not Group.objects.exists()


def test_bad_input_gets_an_error_next_to_the_field(staff_client, people, centre):
    response = staff_client.post(
        INTAKES,
        {
            **selection(people),
            **frame_data(centre, venue="", first_meeting="2027-01-20"),
            "_form": "",
        },
    )

    html = page(response)
    assert response.status_code == 200
    assert "En gruppe som møtes fysisk, må ha et sted." in html
    assert "Første møte, 20. januar 2027, er ikke på en tirsdag." in html
    assert not Group.objects.exists()


def test_holidays_in_the_schedule_get_a_choice_each(staff_client, people, centre):
    data = {
        **selection(people),
        **frame_data(centre, weekday="0", first_meeting="2027-03-01"),
    }

    checked = staff_client.post(INTAKES, {**data, "_check": ""})
    html = page(checked)
    assert "Møter på helligdager" in html
    assert "mandag 29. mars 2027: Andre påskedag" in html
    assert 'name="holiday-holiday_12"' in html

    staff_client.post(
        INTAKES,
        {
            **data,
            "holiday-holiday_5": "cancel",
            "holiday-holiday_12": "move",
            "holiday-holiday_12_date": "2027-05-18",
            "_form_anyway": "",
        },
    )

    group = Group.objects.get()
    assert group.meetings.get(sequence=5).cancelled
    assert group.meetings.get(sequence=12).start.date() == datetime.date(2027, 5, 18)


def test_anonymous_cannot_form_a_group(client, people, centre):
    response = client.post(INTAKES, {**selection(people), **frame_data(centre), "_form": ""})

    assert response.status_code == 302
    assert "/login/" in response.url
    assert not Group.objects.exists()


def test_another_centres_staff_cannot_form_a_group_of_these_people(
    other_staff_client, people, centre, other_centre
):
    response = other_staff_client.post(
        INTAKES, {**selection(people), **frame_data(other_centre), "_form_anyway": ""}
    )

    html = page(response)
    assert not Group.objects.exists()
    assert all(person.name not in html for person in people)
    assert all(p.status == Intake.Status.WAITING for p in Intake.objects.all())


def test_another_centre_is_not_offered_as_the_groups_centre(staff_client, people, other_centre):
    response = staff_client.post(INTAKES, selection(people))

    assert other_centre.name not in page(response)


# --- The group list ---------------------------------------------------------------------


def test_the_list_shows_members_meetings_and_week(staff_client, staff, group, today):
    today.move_to(datetime.datetime(2027, 1, 27, 10, tzinfo=OSLO))
    staff_client.force_login(staff)  # the first session has expired meanwhile

    html = page(staff_client.get(GROUPS))

    assert "Tirsdagsgruppa" in html
    assert "6/8" in html
    assert "19.01.2027" in html  # first meeting
    assert "02.02.2027 18:00" in html  # next meeting
    assert '<td class="field-week">2</td>' in html


def test_the_list_shows_planned_and_active_groups_by_default(
    staff_client, group, form, make_person
):
    Group.objects.filter(pk=group.pk).update(status=Group.Status.ENDED)

    assert "Tirsdagsgruppa" not in page(staff_client.get(GROUPS))
    assert "Tirsdagsgruppa" in page(staff_client.get(GROUPS + "?status=ended"))
    assert "Tirsdagsgruppa" in page(staff_client.get(GROUPS + "?status=all"))


def test_the_list_finds_a_group_by_a_members_name(staff_client, group, people):
    assert "Tirsdagsgruppa" in page(staff_client.get(GROUPS, {"q": "Frode"}))
    assert "Tirsdagsgruppa" not in page(staff_client.get(GROUPS, {"q": "Ingen Slik"}))


def test_another_centres_staff_see_no_group(other_staff_client, group):
    html = page(other_staff_client.get(GROUPS + "?status=all"))

    assert "Tirsdagsgruppa" not in html
    assert "Arna frivilligsentral" not in html  # not even as a filter choice


def make_groups(centre, count):
    groups = Group.objects.bulk_create(
        Group(
            centre=centre,
            name=f"Gruppe {n}",
            kind="across",
            format="physical",
            venue="Rom",
            weekday=1,
            start_time=datetime.time(18),
            planned_start=FIRST,
        )
        for n in range(count)
    )
    intakes = IntakeFactory.create_batch(count * 2, centre=centre, status="placed")
    Membership.objects.bulk_create(
        Membership(group=g, intake=intakes[2 * i + j], seat=j + 1)
        for i, g in enumerate(groups)
        for j in range(2)
    )
    Meeting.objects.bulk_create(
        Meeting(
            group=g,
            sequence=n,
            start=datetime.datetime.combine(
                FIRST + datetime.timedelta(weeks=n - 1), datetime.time(18), tzinfo=OSLO
            ),
        )
        for g in groups
        for n in (1, 2)
    )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_3_and_300_groups(staff_client, centre):
    make_groups(centre, 3)
    small = count_queries(staff_client, GROUPS)
    make_groups(centre, 297)

    large = count_queries(staff_client, GROUPS)

    assert Group.objects.count() == 300
    assert large == small
    assert small <= 12


# --- The group page ---------------------------------------------------------------------


def change_url(group):
    return f"{GROUPS}{group.pk}/change/"


def test_the_group_page_shows_members_with_commitment_and_meetings(staff_client, group):
    html = page(staff_client.get(change_url(group)))

    assert "Anne Berg" in html
    assert "12.04.2027" in html  # 12 weeks from 19 January
    assert "tir 19. januar 2027 18:00" in html
    assert "Avlys møtet 26. januar" in html
    assert "Flytt møtet 26. januar" in html
    assert "Legg til deltaker" in html


def test_the_group_page_shows_the_rule_warnings(staff_client, group, people, staff):
    from groups import services

    for person in people[:3]:
        services.remove_member(
            membership=group.memberships.get(intake=person),
            left_on=datetime.date(2027, 1, 4),
            reason="Flyttet",
            intake_status=Intake.Status.CLOSED,
            actor=staff,
        )

    html = page(staff_client.get(change_url(group)))

    assert "Gruppen har 3 deltakere. En gruppe trenger minst 4." in html


def test_another_centres_group_page_is_not_found(other_staff_client, group):
    response = other_staff_client.get(change_url(group))

    assert response.status_code == 404
    assert group.name not in response.content.decode()


class FormFields(HTMLParser):
    """The values a browser would submit from the page's main form."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_data(response):
    parser = FormFields()
    parser.feed(page(response))
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


def test_staff_record_the_confidentiality_agreement_and_rename(staff_client, group):
    data = form_data(staff_client.get(change_url(group)))
    first = group.memberships.order_by("pk").first()
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("memberships-") and key.endswith("-id") and value == str(first.pk)
    )
    data["name"] = "Nytt navn"
    data[f"memberships-{index}-confidentiality_agreed_at_0"] = "03.01.2027"
    data[f"memberships-{index}-confidentiality_agreed_at_1"] = "18:30"

    response = staff_client.post(change_url(group), data)

    assert response.status_code == 302, re.findall(
        r'class="errorlist[^"]*"[^>]*>.*?</ul>', page(response), re.S
    )
    group.refresh_from_db()
    assert group.name == "Nytt navn"
    first.refresh_from_db()
    assert first.confidentiality_agreed_at == datetime.datetime(2027, 1, 3, 18, 30, tzinfo=OSLO)
    assert not OutboundMessage.objects.filter(message_type="group_place_changed").exists()


def test_changing_the_venue_on_the_group_page_tells_the_members(staff_client, group):
    data = form_data(staff_client.get(change_url(group)))
    data["venue"] = "Nytt rom 5"

    response = staff_client.post(change_url(group), data)

    assert response.status_code == 302
    assert Group.objects.get(pk=group.pk).venue == "Nytt rom 5"
    assert OutboundMessage.objects.filter(message_type="group_place_changed").count() == 6


def test_groups_are_not_added_or_deleted_in_the_admin(staff_client, group):
    assert staff_client.get(GROUPS + "add/").status_code == 403
    assert staff_client.get(f"{GROUPS}{group.pk}/delete/").status_code == 403


# --- Members and meetings through their own pages ----------------------------------------


def test_adding_a_member_through_the_admin(staff_client, group, make_person):
    newcomer = make_person("Gunn Is", birth_year=1981)
    url = f"{GROUPS}{group.pk}/add-member/"

    form = page(staff_client.get(url))
    assert "6 av 8 plasser" in form
    assert "må deltakerne si ja" in form
    response = staff_client.post(url, {"intake": newcomer.pk, "joined_on": "2027-01-04"})

    assert response.status_code == 302
    assert group.memberships.active().filter(intake=newcomer).exists()


def test_adding_to_a_started_group_needs_its_agreement(staff_client, group, make_person):
    Group.objects.filter(pk=group.pk).update(status=Group.Status.STARTED)
    newcomer = make_person("Gunn Is", birth_year=1981)
    url = f"{GROUPS}{group.pk}/add-member/"

    refused = staff_client.post(url, {"intake": newcomer.pk, "joined_on": "2027-01-04"})
    assert refused.status_code == 200
    assert not group.memberships.filter(intake=newcomer).exists()

    staff_client.post(url, {"intake": newcomer.pk, "joined_on": "2027-01-04", "group_agreed": "on"})
    assert group.memberships.filter(intake=newcomer).exists()


def test_adding_shows_warnings_and_accepts_them(staff_client, group, make_person):
    old = make_person("Gamle Gunn", birth_year=1950)
    url = f"{GROUPS}{group.pk}/add-member/"

    shown = staff_client.post(url, {"intake": old.pk, "joined_on": "2027-01-04"})
    assert "Aldersspennet" in page(shown)
    assert 'name="_accept"' in page(shown)

    staff_client.post(url, {"intake": old.pk, "joined_on": "2027-01-04", "_accept": ""})
    assert group.memberships.filter(intake=old).exists()


def test_another_centres_person_cannot_be_added_by_a_crafted_post(
    staff_client, group, other_centre_intake
):
    url = f"{GROUPS}{group.pk}/add-member/"
    Intake.objects.filter(pk=other_centre_intake.pk).update(status="waiting")

    response = staff_client.post(url, {"intake": other_centre_intake.pk, "joined_on": "2027-01-04"})

    assert response.status_code == 200
    assert "Velg et gyldig valg" in page(response) or "gyldig" in page(response)
    assert not group.memberships.filter(intake=other_centre_intake).exists()


def test_removing_a_member_through_the_admin(staff_client, group, people):
    membership = group.memberships.get(intake=people[0])
    url = f"{GROUPS}{group.pk}/members/{membership.pk}/remove/"

    response = staff_client.post(
        url, {"left_on": "2027-01-04", "reason": "Flyttet", "after": "waiting"}
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.left_on == datetime.date(2027, 1, 4)
    people[0].refresh_from_db()
    assert people[0].status == Intake.Status.WAITING


def test_removing_without_a_reason_shows_an_error(staff_client, group, people):
    membership = group.memberships.get(intake=people[0])
    url = f"{GROUPS}{group.pk}/members/{membership.pk}/remove/"

    response = staff_client.post(url, {"left_on": "2027-01-04", "reason": "", "after": "waiting"})

    assert response.status_code == 200
    assert "errorlist" in page(response)
    assert group.memberships.get(pk=membership.pk).is_active


def test_cancelling_and_moving_a_meeting_through_the_admin(staff_client, group):
    second, third = (group.meetings.get(sequence=n) for n in (2, 3))

    cancelled = staff_client.post(
        f"{GROUPS}{group.pk}/meetings/{second.pk}/cancel/", {"reason": "Lokalet er opptatt"}
    )
    moved = staff_client.post(
        f"{GROUPS}{group.pk}/meetings/{third.pk}/move/", {"date": "2027-02-03", "time": "17:30"}
    )

    assert cancelled.status_code == moved.status_code == 302
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.cancelled
    assert third.local_start == datetime.datetime(2027, 2, 3, 17, 30, tzinfo=OSLO)
    html = page(staff_client.get(change_url(group)))
    assert "Avlyst: Lokalet er opptatt" in html
    assert "Flyttet fra tir 2. februar 18:00" in html


def test_moving_to_a_holiday_shows_the_rule(staff_client, group):
    meeting = group.meetings.get(sequence=3)

    response = staff_client.post(
        f"{GROUPS}{group.pk}/meetings/{meeting.pk}/move/", {"date": "2027-03-25", "time": "18:00"}
    )

    assert response.status_code == 200
    assert "er en helligdag (Skjærtorsdag)" in page(response)


def test_changing_the_status_through_the_admin(staff_client, staff, group, today):
    today.move_to(datetime.datetime(2027, 1, 20, 10, tzinfo=OSLO))
    staff_client.force_login(staff)  # the first session has expired meanwhile
    url = f"{GROUPS}{group.pk}/status/"

    form = page(staff_client.get(url))
    assert 'value="started"' in form and 'value="ended"' not in form
    response = staff_client.post(url, {"status": "started", "on": "2027-01-19"})

    assert response.status_code == 302
    group.refresh_from_db()
    assert group.status == Group.Status.STARTED


def test_cancelling_a_group_needs_a_reason(staff_client, group):
    url = f"{GROUPS}{group.pk}/status/"

    response = staff_client.post(url, {"status": "cancelled", "on": "2027-01-04", "reason": ""})

    assert response.status_code == 200
    assert Group.objects.get(pk=group.pk).status == Group.Status.PLANNED


@pytest.mark.parametrize(
    "suffix",
    ["add-member/", "status/", "members/{membership}/remove/", "meetings/{meeting}/cancel/"],
)
def test_another_centres_staff_get_404_on_every_group_page(other_staff_client, group, suffix):
    url = f"{GROUPS}{group.pk}/" + suffix.format(
        membership=group.memberships.first().pk, meeting=group.meetings.first().pk
    )

    assert other_staff_client.get(url).status_code == 404
    assert other_staff_client.post(url, {"reason": "x", "status": "cancelled"}).status_code == 404
    assert Group.objects.get(pk=group.pk).status == Group.Status.PLANNED
    assert not Meeting.objects.filter(cancelled=True).exists()


@pytest.mark.parametrize("suffix", ["add-member/", "status/"])
def test_anonymous_is_sent_to_the_login(client, group, suffix):
    response = client.post(f"{GROUPS}{group.pk}/{suffix}", {"status": "cancelled"})

    assert response.status_code == 302
    assert "/login/" in response.url
