"""The outbox in the admin: staff see their centres' failed messages and send them again."""

import pytest

from selvhjelp.messaging import queue_message
from selvhjelp.models import OutboundMessage
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/admin/selvhjelp/outboundmessage/"


def message(centre, key, status="failed", recipient=None):
    row = queue_message(
        centre=centre,
        channel="email",
        recipient=recipient or f"{key}@example.org",
        message_type="intake_confirmation",
        about=centre,
        dedup_key=key,
        context={"first_name": "Kari", "reference": "ABC-234", "response_days": 5},
    )
    OutboundMessage.objects.filter(pk=row.pk).update(
        status=status, attempts=5 if status == "failed" else 1, last_error="SMTP: 421"
    )
    row.refresh_from_db()
    return row


def act(client, action, *rows, query=""):
    return client.post(
        URL + query,
        {"action": action, "_selected_action": [row.pk for row in rows], "index": "0"},
        follow=True,
    )


def test_the_outbox_opens_on_the_failed_messages(staff_client, centre):
    message(centre, "failed-one")
    message(centre, "sent-one", status="sent")
    html = staff_client.get(URL).content.decode()
    assert "failed-one@example.org" in html
    assert "sent-one@example.org" not in html
    assert "Bekreftelse på interessemelding" in html


def test_all_messages_are_one_filter_away(staff_client, centre):
    message(centre, "failed-one")
    message(centre, "sent-one", status="sent")
    html = staff_client.get(URL + "?status=all").content.decode()
    assert "failed-one@example.org" in html and "sent-one@example.org" in html


def test_staff_never_see_another_centres_messages(staff_client, other_centre):
    message(other_centre, "oslo-failed")
    message(other_centre, "oslo-sent", status="sent")
    html = staff_client.get(URL + "?status=all").content.decode()
    assert "oslo-failed" not in html and "oslo-sent" not in html


def test_another_centres_message_page_is_not_found(staff_client, other_centre):
    row = message(other_centre, "oslo-failed")
    response = staff_client.get(f"{URL}{row.pk}/change/")
    assert response.status_code == 404


def test_the_message_page_shows_the_text_as_sent(staff_client, centre):
    row = message(centre, "failed-one")
    html = staff_client.get(f"{URL}{row.pk}/change/").content.decode()
    assert "Vi har fått interessemeldingen din (ABC-234)" in html
    assert "SMTP: 421" in html


def test_staff_send_a_failed_message_again(staff_client, centre):
    row = message(centre, "failed-one")
    response = act(staff_client, "send_again", row)
    assert "1 melding blir sendt på nytt." in response.content.decode()
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 0 and row.last_error == ""


def test_sending_again_a_message_that_did_not_fail_only_warns(staff_client, centre):
    row = message(centre, "sent-one", status="sent")
    response = act(staff_client, "send_again", row, query="?status=all")
    assert "Ingen av de valgte meldingene har feilet" in response.content.decode()
    row.refresh_from_db()
    assert row.status == "sent"


def test_staff_cannot_send_another_centres_message_again(staff_client, other_centre):
    row = message(other_centre, "oslo-failed")
    act(staff_client, "send_again", row)
    row.refresh_from_db()
    assert row.status == "failed"


def test_staff_cancel_a_failed_message(staff_client, centre):
    row = message(centre, "failed-one")
    response = act(staff_client, "cancel", row)
    assert "1 melding blir ikke sendt." in response.content.decode()
    row.refresh_from_db()
    assert row.status == "cancelled"


def test_staff_can_neither_add_change_nor_delete_messages(staff_client, centre):
    row = message(centre, "failed-one")
    assert staff_client.get(URL + "add/").status_code == 403
    assert staff_client.get(f"{URL}{row.pk}/delete/").status_code == 403
    staff_client.post(f"{URL}{row.pk}/change/", {"recipient": "x@example.org"})
    row.refresh_from_db()
    assert row.recipient == "failed-one@example.org"


def test_the_superuser_sees_every_centre(client, superuser, centre, other_centre):
    message(centre, "arna-failed")
    message(other_centre, "oslo-failed")
    client.force_login(superuser)
    html = client.get(URL).content.decode()
    assert "arna-failed" in html and "oslo-failed" in html


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_any_number_of_rows(
    staff_client, centre, count, django_assert_max_num_queries
):
    for n in range(count):
        message(centre, f"row{n}")
    factories.CentreFactory()
    # 11: one of them loads the session's two-factor device.
    with django_assert_max_num_queries(11):
        assert staff_client.get(URL).status_code == 200
