"""The interest form list in the admin: columns, filters, search, query budget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.admin import IntakeAdmin
from intake.models import Intake, Slot, Theme
from tests.factories import CentreFactory, IntakeFactory, StaffFactory

pytestmark = pytest.mark.django_db

URL = "/admin/intake/intake/"
Status = Intake.Status


def listed(response):
    assert response.status_code == 200
    return {intake.reference for intake in response.context["cl"].result_list}


def test_list_shows_the_columns_staff_need(staff_client, centre):
    intake = IntakeFactory(
        centre=centre,
        name="Sølvi Løvås",
        format=Intake.Format.DIGITAL,
        created_at=timezone.now() - timedelta(days=12, hours=2),
    )

    html = staff_client.get(URL).content.decode()

    for text in [intake.reference, "Sølvi Løvås", centre.name, "Ny", "12 dager", "Møtes på video"]:
        assert text in html
    for heading in [
        "Referanse",
        "Navn",
        "Senter",
        "Status",
        "Dager på vent",
        "Møteform",
        "Mottatt",
    ]:
        assert heading in html


def test_days_waiting_is_annotated_for_open_intakes_only(staff_client, centre):
    long_ago = timezone.now() - timedelta(days=40)
    IntakeFactory(centre=centre, status=Status.WAITING, created_at=long_ago)
    IntakeFactory(centre=centre, status=Status.CLOSED, created_at=long_ago)

    rows = staff_client.get(URL, {"status": "all"}).context["cl"].result_list

    waiting = {row.status: row.waiting for row in rows}
    assert waiting[Status.WAITING].days == 40
    assert waiting[Status.CLOSED] is None


def test_list_shows_open_intakes_by_default(staff_client, centre):
    shown = {s: IntakeFactory(centre=centre, status=s).reference for s in Status.values}

    assert listed(staff_client.get(URL)) == {
        shown[Status.NEW],
        shown[Status.CONTACTED],
        shown[Status.WAITING],
    }


def test_status_filter_offers_all_statuses(staff_client, centre):
    shown = {s: IntakeFactory(centre=centre, status=s).reference for s in Status.values}

    assert listed(staff_client.get(URL, {"status": "all"})) == set(shown.values())
    assert listed(staff_client.get(URL, {"status": "closed"})) == {shown[Status.CLOSED]}
    assert listed(staff_client.get(URL, {"status": "placed"})) == {shown[Status.PLACED]}


def test_unknown_status_filter_value_is_not_an_error_page(staff_client, intake):
    response = staff_client.get(URL, {"status": "<script>"})

    assert response.status_code == 302
    assert "e=1" in response.url


def test_search_finds_closed_intakes_too(staff_client, centre):
    closed = IntakeFactory(centre=centre, status=Status.CLOSED)

    assert listed(staff_client.get(URL, {"q": closed.reference})) == {closed.reference}


@pytest.mark.parametrize(
    "term",
    [
        "Nordmann",
        "kari nordmann",
        "ABC-234",
        "abc234",
        "abc 234",
        "kari@example.org",
        "912 34 567",
        "0047 912 34 567",
    ],
)
def test_search_by_name_reference_email_or_phone(staff_client, centre, term):
    wanted = IntakeFactory(
        centre=centre,
        name="Kari Nordmann",
        reference="ABC-234",
        email="kari@example.org",
        phone="+4791234567",
    )
    IntakeFactory(centre=centre, name="Ola Hansen", email="ola@example.org", phone="+4798765432")

    assert listed(staff_client.get(URL, {"q": term})) == {wanted.reference}


def test_filter_waiting_longer_than_days(staff_client, centre):
    now = timezone.now()
    old = IntakeFactory(centre=centre, created_at=now - timedelta(days=31))
    IntakeFactory(centre=centre, created_at=now - timedelta(days=29))
    IntakeFactory(centre=centre, status=Status.CLOSED, created_at=now - timedelta(days=90))

    assert listed(staff_client.get(URL, {"waiting_days": "30"})) == {old.reference}


def test_waiting_filter_refuses_values_it_does_not_offer(staff_client, intake):
    assert staff_client.get(URL, {"waiting_days": "-1"}).status_code == 302


def test_filter_by_format_gender_theme_and_availability(staff_client, centre):
    theme = Theme.objects.get(name="Sorg og tap")
    monday_evening = Slot.objects.get(weekday=0, part=Slot.Part.EVENING)
    match = IntakeFactory(
        centre=centre,
        format=Intake.Format.DIGITAL,
        gender=Intake.Gender.MAN,
        themes=[theme],
        availability=[monday_evening],
    )
    IntakeFactory(centre=centre, format=Intake.Format.PHYSICAL, gender=Intake.Gender.WOMAN)

    for params in [
        {"format__exact": "digital"},
        {"gender__exact": "man"},
        {"themes__id__exact": theme.pk},
        {"availability__id__exact": monday_evening.pk},
    ]:
        assert listed(staff_client.get(URL, params)) == {match.reference}, params


def test_centre_filter_offers_only_the_staff_members_centres(client, centre, other_centre):
    second = CentreFactory(name="Åsane frivilligsentral", slug="asane")
    user = StaffFactory(centres=[centre, second])
    client.force_login(user)
    at_second = IntakeFactory(centre=second)
    IntakeFactory(centre=centre)

    response = client.get(URL)
    choices = {
        choice["display"]
        for spec in response.context["cl"].filter_specs
        if spec.title == "senter"
        for choice in spec.choices(response.context["cl"])
    }
    assert choices == {"Alle", centre.name, second.name}
    assert listed(client.get(URL, {"centre__id__exact": second.pk})) == {at_second.reference}


def test_list_escapes_markup_in_names(staff_client, centre):
    IntakeFactory(centre=centre, name='<script>alert("x")</script>')

    html = staff_client.get(URL).content.decode()

    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_bulk_delete_is_not_offered(staff_client, intake):
    actions = dict(staff_client.get(URL).context["action_form"].fields["action"].choices)

    assert "delete_selected" not in actions
    assert {"mark_contacted", "mark_waiting", "withdraw", "close"} <= set(actions)


# --- Query budget -------------------------------------------------------------


def make_intakes(centre, count):
    """Many intakes with themes and times, fast (bulk) but complete."""
    themes = list(Theme.objects.all()[:3])
    slots = list(Slot.objects.all()[:4])
    intakes = Intake.objects.bulk_create(
        [
            Intake(
                centre=centre,
                name=f"Person {n}",
                email=f"p{n}@example.org",
                birth_year=1980,
                confirmed_adult=True,
                consent_version="test",
                consent_given_at=timezone.now(),
                created_at=timezone.now() - timedelta(days=10 + n % 50),
                status=[Status.NEW, Status.CONTACTED, Status.WAITING][n % 3],
            )
            for n in range(count)
        ]
    )
    Intake.themes.through.objects.bulk_create(
        [Intake.themes.through(intake=i, theme=t) for i in intakes for t in themes]
    )
    Intake.availability.through.objects.bulk_create(
        [Intake.availability.through(intake=i, slot=s) for i in intakes for s in slots]
    )


def count_queries(client, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(queries.captured_queries), len(response.context["cl"].result_list)


@pytest.mark.parametrize("params", [{}, {"q": "Person"}, {"status": "all", "waiting_days": "7"}])
def test_list_costs_the_same_queries_for_5_and_500_intakes(
    staff_client, centre, monkeypatch, django_assert_max_num_queries, params
):
    # Show every row on one page, so the budget covers 500 rows, not 50.
    monkeypatch.setattr(IntakeAdmin, "list_per_page", 1000)
    make_intakes(centre, 5)
    # Once first: the first request of a process fills caches (content types, the session).
    count_queries(staff_client, params)
    few, few_rows = count_queries(staff_client, params)

    make_intakes(centre, 495)
    many, many_rows = count_queries(staff_client, params)

    assert (few_rows, many_rows) == (5, 500)
    assert few == many
    with django_assert_max_num_queries(few):
        staff_client.get(URL, params)


def test_superuser_list_costs_the_same_queries_for_5_and_500_intakes(
    client, superuser, centre, monkeypatch
):
    client.force_login(superuser)
    monkeypatch.setattr(IntakeAdmin, "list_per_page", 1000)
    make_intakes(centre, 5)
    few, _rows = count_queries(client)

    make_intakes(centre, 495)
    many, rows = count_queries(client)

    assert rows == 500
    assert few == many
