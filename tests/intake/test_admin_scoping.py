"""Staff of one centre see and change none of another centre's interest forms."""

import pytest

from intake.models import ContactAttempt, Intake, StatusChange
from tests.factories import IntakeFactory, UserFactory
from tests.intake.test_admin_change import form_data

pytestmark = pytest.mark.django_db

Status = Intake.Status
LIST_URL = "/admin/intake/intake/"


def url(intake, page):
    return f"/admin/intake/intake/{intake.pk}/{page}/"


def assert_untouched(intake):
    stored = Intake.objects.get(pk=intake.pk)
    assert stored.status == intake.status
    assert stored.name == intake.name
    assert not StatusChange.objects.filter(intake=intake).exists()
    assert not ContactAttempt.objects.filter(intake=intake).exists()


def test_list_shows_only_own_centres_intakes(staff_client, intake, other_centre_intake):
    html = staff_client.get(LIST_URL, {"status": "all"}).content.decode()

    assert intake.reference in html
    assert other_centre_intake.reference not in html
    assert other_centre_intake.name not in html


@pytest.mark.parametrize("field", ["reference", "name", "email"])
def test_search_finds_nothing_of_another_centre(staff_client, other_centre_intake, field):
    response = staff_client.get(LIST_URL, {"q": getattr(other_centre_intake, field)})

    assert list(response.context["cl"].result_list) == []
    html = response.content.decode()
    for other_field in {"reference", "name", "email"} - {field}:
        assert getattr(other_centre_intake, other_field) not in html


def test_search_by_another_centres_phone_finds_nothing(staff_client, other_centre):
    other = IntakeFactory(centre=other_centre, phone="+4791234567")

    response = staff_client.get(LIST_URL, {"q": "912 34 567"})

    assert list(response.context["cl"].result_list) == []
    assert other.reference not in response.content.decode()


def test_centre_filter_with_another_centre_shows_nothing(
    staff_client, other_centre, other_centre_intake
):
    response = staff_client.get(LIST_URL, {"centre__id__exact": other_centre.pk})

    assert other_centre_intake.reference not in response.content.decode()
    assert other_centre.name not in response.content.decode()


@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_another_centres_pages_are_not_found(staff_client, other_centre_intake, page):
    response = staff_client.get(url(other_centre_intake, page))

    assert response.status_code == 404
    assert other_centre_intake.name not in response.content.decode()


@pytest.mark.parametrize("to", ["contacted", "waiting", "withdrawn", "closed"])
def test_another_centres_status_page_is_not_found(staff_client, other_centre_intake, to):
    assert staff_client.get(url(other_centre_intake, f"status/{to}")).status_code == 404
    response = staff_client.post(url(other_centre_intake, f"status/{to}"), {"reason": "x"})

    assert response.status_code == 404
    assert_untouched(other_centre_intake)


def test_crafted_change_form_post_changes_nothing(staff_client, other_centre_intake):
    response = staff_client.post(
        url(other_centre_intake, "change"),
        {"name": "Kapret", "email": "x@example.org", "contact_by": "email"},
    )

    assert response.status_code == 404
    assert_untouched(other_centre_intake)


def test_crafted_delete_post_deletes_nothing(staff_client, other_centre_intake):
    staff_client.post(url(other_centre_intake, "delete"), {"post": "yes"})

    assert Intake.objects.filter(pk=other_centre_intake.pk).exists()


@pytest.mark.parametrize("action", ["mark_contacted", "mark_waiting", "withdraw", "close"])
def test_crafted_bulk_action_with_another_centres_id_changes_nothing(
    staff_client, intake, other_centre_intake, action
):
    response = staff_client.post(
        LIST_URL + "?status=all",
        {
            "action": action,
            "_selected_action": [other_centre_intake.pk],
            "apply": "1",
            "reason": "Forsøk",
        },
    )

    assert response.status_code in {200, 302}
    assert other_centre_intake.name not in response.content.decode()
    assert_untouched(other_centre_intake)
    assert_untouched(intake)


def test_staff_cannot_move_an_intake_to_another_centre(staff_client, intake, other_centre):
    data = form_data(staff_client, intake)
    data["centre"] = str(other_centre.pk)

    response = staff_client.post(url(intake, "change"), data)

    assert response.status_code == 200  # the choice is not offered: a form error
    intake.refresh_from_db()
    assert intake.centre != other_centre


def test_centre_choices_on_the_change_page_are_the_staff_members_own(
    staff_client, intake, other_centre
):
    html = staff_client.get(url(intake, "change")).content.decode()

    assert other_centre.name not in html


def test_other_centres_staff_see_their_own_and_not_ours(
    other_staff_client, intake, other_centre_intake
):
    html = other_staff_client.get(LIST_URL).content.decode()

    assert other_centre_intake.reference in html
    assert intake.reference not in html


def test_superuser_sees_and_handles_every_centres_intakes(
    client, superuser, intake, other_centre_intake
):
    client.force_login(superuser)

    html = client.get(LIST_URL).content.decode()
    assert intake.reference in html and other_centre_intake.reference in html
    assert client.get(url(other_centre_intake, "change")).status_code == 200

    client.post(url(other_centre_intake, "status/contacted"))
    other_centre_intake.refresh_from_db()
    assert other_centre_intake.status == Status.CONTACTED


def test_user_without_a_centre_sees_no_intakes(client, intake):
    user = UserFactory(is_staff=True)
    client.force_login(user)

    assert client.get(LIST_URL).status_code == 403
