"""Status changes in the admin: buttons on the change page and bulk actions."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from intake.models import Intake, StatusChange
from tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db

Status = Intake.Status
LIST_URL = "/admin/intake/intake/"


def status_url(intake, to):
    return f"/admin/intake/intake/{intake.pk}/status/{to}/"


def change_url(intake):
    return f"/admin/intake/intake/{intake.pk}/change/"


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


# --- Buttons on the change page -----------------------------------------------


def test_change_page_offers_the_moves_that_make_sense(staff_client, centre):
    intake = IntakeFactory(centre=centre, status=Status.CONTACTED)

    html = staff_client.get(change_url(intake)).content.decode()

    assert f'action="{status_url(intake, "waiting")}"' in html
    assert f'href="{status_url(intake, "withdrawn")}"' in html
    assert f'href="{status_url(intake, "closed")}"' in html
    assert status_url(intake, "contacted") not in html
    assert status_url(intake, "placed") not in html


def test_ended_intake_offers_no_moves(staff_client, centre):
    intake = IntakeFactory(centre=centre, status=Status.CLOSED)

    html = staff_client.get(change_url(intake)).content.decode()

    assert "/status/" not in html
    assert "Behandlingen av denne interessemeldingen er avsluttet." in html


def test_mark_contacted_button_changes_status_as_the_staff_member(staff_client, staff, intake):
    response = staff_client.post(status_url(intake, "contacted"))

    assert response.status_code == 302
    assert response.url == change_url(intake)
    intake.refresh_from_db()
    assert intake.status == Status.CONTACTED
    change = intake.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == ("new", "contacted", staff)
    assert messages_of(response) == [
        ("success", "1 interessemelding har nå statusen «Kontaktet»."),
    ]


def test_mark_ready_for_a_group_button(staff_client, intake):
    staff_client.post(status_url(intake, "waiting"))

    intake.refresh_from_db()
    assert intake.status == Status.WAITING


def test_withdraw_asks_for_a_reason_first(staff_client, intake):
    response = staff_client.get(status_url(intake, "withdrawn"))

    assert response.status_code == 200
    assert "admin/intake/intake/change_status.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'name="reason"' in html and "required" in html
    assert intake.reference in html
    intake.refresh_from_db()
    assert intake.status == Status.NEW


def test_withdraw_without_a_reason_shows_the_error_and_changes_nothing(staff_client, intake):
    response = staff_client.post(status_url(intake, "withdrawn"), {"reason": "  "})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    intake.refresh_from_db()
    assert intake.status == Status.NEW
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize(("to", "status"), [("withdrawn", "withdrawn"), ("closed", "closed")])
def test_withdraw_or_close_with_a_reason(staff_client, staff, intake, to, status):
    response = staff_client.post(status_url(intake, to), {"reason": "Har fått annen hjelp"})

    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.status == status
    change = intake.status_changes.get()
    assert (change.reason, change.changed_by) == ("Har fått annen hjelp", staff)


def test_too_long_reason_is_refused_next_to_the_field(staff_client, intake):
    response = staff_client.post(status_url(intake, "closed"), {"reason": "x" * 301})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    intake.refresh_from_db()
    assert intake.status == Status.NEW


def test_move_that_makes_no_sense_is_refused_with_a_message(staff_client, centre):
    intake = IntakeFactory(centre=centre, status=Status.CLOSED)

    response = staff_client.post(status_url(intake, "contacted"))

    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "error",
            f"{intake.reference} ble ikke endret: En interessemelding med statusen "
            "«Avsluttet» kan ikke endres til «Kontaktet».",
        )
    ]
    intake.refresh_from_db()
    assert intake.status == Status.CLOSED


def test_same_status_again_is_refused_with_a_message(staff_client, centre):
    intake = IntakeFactory(centre=centre, status=Status.CONTACTED)

    response = staff_client.post(status_url(intake, "contacted"))

    assert messages_of(response)[0][0] == "error"
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize("to", ["placed", "new", "deleted", "<script>"])
def test_statuses_staff_do_not_set_by_hand_are_not_found(staff_client, intake, to):
    assert staff_client.post(status_url(intake, to)).status_code == 404

    intake.refresh_from_db()
    assert intake.status == Status.NEW


def test_anonymous_status_change_goes_to_login(client, intake):
    response = client.post(status_url(intake, "contacted"))

    assert response.status_code == 302
    assert "/admin/login/" in response.url
    intake.refresh_from_db()
    assert intake.status == Status.NEW


def test_status_change_needs_a_csrf_token(staff, intake):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    assert client.post(status_url(intake, "contacted")).status_code == 403
    intake.refresh_from_db()
    assert intake.status == Status.NEW


def test_reason_page_escapes_markup_in_the_name(staff_client, centre):
    intake = IntakeFactory(centre=centre, name="<script>alert(1)</script>")

    html = staff_client.get(status_url(intake, "closed")).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Bulk actions on the list -------------------------------------------------


def run_action(client, action, intakes, query="?status=all", **extra):
    data = {"action": action, "_selected_action": [i.pk for i in intakes], **extra}
    return client.post(LIST_URL + query, data)


def test_bulk_mark_contacted_changes_those_it_can_and_names_the_rest(staff_client, centre, staff):
    new = IntakeFactory.create_batch(2, centre=centre)
    closed = IntakeFactory(centre=centre, status=Status.CLOSED)

    response = run_action(staff_client, "mark_contacted", [*new, closed])

    assert response.status_code == 302
    assert {i.status for i in Intake.objects.filter(pk__in=[n.pk for n in new])} == {"contacted"}
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
    assert StatusChange.objects.filter(changed_by=staff).count() == 2
    levels = [level for level, _text in messages_of(response)]
    assert levels == ["success", "error"]
    assert closed.reference in messages_of(response)[1][1]


def test_bulk_mark_ready_for_a_group(staff_client, centre):
    intakes = IntakeFactory.create_batch(3, centre=centre, status=Status.CONTACTED)

    run_action(staff_client, "mark_waiting", intakes)

    assert set(Intake.objects.values_list("status", flat=True)) == {Status.WAITING}


@pytest.mark.parametrize(("action", "status"), [("withdraw", "withdrawn"), ("close", "closed")])
def test_bulk_withdraw_or_close_asks_for_the_reason_on_a_page_between(
    staff_client, centre, action, status
):
    intakes = IntakeFactory.create_batch(2, centre=centre)

    page = run_action(staff_client, action, intakes)

    assert page.status_code == 200
    html = page.content.decode()
    assert all(i.reference in html for i in intakes)
    assert f'name="action" value="{action}"' in html
    assert set(Intake.objects.values_list("status", flat=True)) == {Status.NEW}

    done = run_action(staff_client, action, intakes, apply="1", reason="Ikke aktuelt lenger")

    assert done.status_code == 302
    assert set(Intake.objects.values_list("status", flat=True)) == {status}
    assert set(StatusChange.objects.values_list("reason", flat=True)) == {"Ikke aktuelt lenger"}


def test_bulk_close_without_a_reason_shows_the_page_again(staff_client, centre):
    intakes = IntakeFactory.create_batch(2, centre=centre)

    response = run_action(staff_client, "close", intakes, apply="1", reason="")

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert set(Intake.objects.values_list("status", flat=True)) == {Status.NEW}
