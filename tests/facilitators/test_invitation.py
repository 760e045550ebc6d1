"""Inviting a facilitator, choosing a password, logging in and out, and asking for a new link.

The password link is made when the message is sent: the outbox row holds
only the user id, never a token, so staff reading the outbox cannot take
over the account.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from facilitators import services
from facilitators.models import Facilitator
from selvhjelp import messaging
from selvhjelp.models import OutboundMessage
from tests.factories import PASSWORD, FacilitatorFactory

pytestmark = pytest.mark.django_db

INVITE = reverse("admin:facilitators_facilitator_add")
NEW_PASSWORD = "en helt ny setning 2027"  # noqa: S105


def invite(client, centre, **changes):
    data = {
        "first_name": "Siri",
        "last_name": "Solheim",
        "email": "Siri.Solheim@example.org",
        "phone": "912 34 567",
        "centres": [centre.pk],
        **changes,
    }
    return client.post(INVITE, data)


def link_in(text):
    (link,) = re.findall(r"http://127\.0\.0\.1:8000/igangsetter/nytt-passord/\S+", text)
    return link


def test_staff_invite_a_facilitator_who_gets_a_message(
    staff_client, centre, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(staff_client, centre)

    facilitator = Facilitator.objects.get(user__email="Siri.Solheim@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:facilitators_facilitator_change", args=[facilitator.pk]
    )
    assert list(facilitator.centres.all()) == [centre]
    assert not facilitator.user.has_usable_password()
    message = OutboundMessage.objects.get(message_type="facilitator_password_link")
    assert message.recipient == "Siri.Solheim@example.org"
    assert message.status == OutboundMessage.Status.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Velkommen som igangsetter: velg passordet ditt"


def test_the_outbox_row_holds_no_token_or_link(staff_client, centre):
    invite(staff_client, centre)

    message = OutboundMessage.objects.get(message_type="facilitator_password_link")
    user = get_user_model().objects.get(email="Siri.Solheim@example.org")
    assert message.context == {
        "first_name": "Siri",
        "purpose": "invitation",
        "user_id": user.pk,
        "centre": "Arna frivilligsentral",
    }
    assert "nytt-passord" not in str(message.context)


def test_the_staff_preview_of_the_message_has_no_working_link(staff_client, centre):
    invite(staff_client, centre)
    message = OutboundMessage.objects.get(message_type="facilitator_password_link")

    preview = messaging.render_message(message, preview=True)

    assert "nytt-passord" not in preview.body


def test_the_invitation_link_lets_the_facilitator_choose_a_password_and_log_in(
    staff_client, centre, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(staff_client, centre)
    body = mail.outbox[0].body
    assert "Arna frivilligsentral har lagt deg til som igangsetter" in body
    link = link_in(body)
    browser = Client()

    form_page = browser.get(link, follow=True)
    assert "Velg passord" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = browser.post(
        set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("facilitators:password-set-done")

    logged_in = browser.post(
        reverse("facilitators:login"),
        {"username": "siri.solheim@example.org", "password": NEW_PASSWORD},
        follow=True,
    )
    assert logged_in.redirect_chain[-1][0] == reverse("facilitators:overview")
    assert "Min oversikt" in logged_in.content.decode()


def test_the_link_works_only_once(staff_client, centre, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(staff_client, centre)
    link = link_in(mail.outbox[0].body)
    browser = Client()
    set_url = browser.get(link, follow=True).redirect_chain[-1][0]
    browser.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)

    assert "Denne lenken virker ikke lenger." in again.content.decode()


def test_an_existing_email_address_is_refused_with_a_message(staff_client, centre, facilitator):
    response = invite(staff_client, centre, email=facilitator.user.email.upper())

    assert response.status_code == 200
    assert "Det finnes allerede en bruker med denne e-postadressen." in response.content.decode()
    assert not OutboundMessage.objects.filter(message_type="facilitator_password_link").exists()


def test_staff_cannot_invite_to_another_centre(staff_client, other_centre):
    response = invite(staff_client, other_centre)

    assert response.status_code == 200
    assert not Facilitator.objects.filter(user__email="Siri.Solheim@example.org").exists()


def test_anonymous_visitors_cannot_invite(client, centre):
    response = invite(client, centre)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not Facilitator.objects.exists()


def test_staff_can_send_a_new_link_from_the_list(staff_client, facilitator):
    staff_client.post(
        reverse("admin:facilitators_facilitator_changelist"),
        {"action": "send_password_links", "_selected_action": [facilitator.pk]},
    )

    message = OutboundMessage.objects.get(message_type="facilitator_password_link")
    assert message.context["purpose"] == "reset"


# --- Logging in and out ---------------------------------------------------------


def test_a_facilitator_logs_in_with_the_user_name(client, facilitator):
    response = client.post(
        reverse("facilitators:login"),
        {"username": facilitator.user.username, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("facilitators:overview")


def test_a_wrong_password_gets_a_norwegian_message(client, facilitator):
    response = client.post(
        reverse("facilitators:login"), {"username": facilitator.user.email, "password": "feil"}
    )

    assert response.status_code == 200
    assert "Brukernavnet eller passordet er feil." in response.content.decode()


def test_logging_out_takes_a_post(facilitator_client):
    assert facilitator_client.get(reverse("facilitators:logout")).status_code == 405

    response = facilitator_client.post(reverse("facilitators:logout"), follow=True)

    assert "Du er logget ut." in response.content.decode()
    assert facilitator_client.get(reverse("facilitators:overview")).status_code == 302


def test_the_footer_leads_visitors_to_the_login_page(client):
    html = client.get("/").content.decode()

    assert f'<a href="{reverse("facilitators:login")}">For igangsettere</a>' in html


def test_the_footer_gives_a_facilitator_the_overview_and_a_logout_button(facilitator_client):
    html = facilitator_client.get("/").content.decode()

    assert f'<a href="{reverse("facilitators:overview")}">Min oversikt som igangsetter</a>' in html
    assert f'action="{reverse("facilitators:logout")}"' in html


# --- Asking for a new link ----------------------------------------------------------


RESET = reverse("facilitators:password-reset")


def reset_messages():
    return OutboundMessage.objects.filter(message_type="facilitator_password_link")


def test_an_active_facilitator_gets_a_new_link(client, facilitator):
    response = client.post(RESET, {"email": facilitator.user.email.upper()})

    assert response.status_code == 302
    assert response["Location"] == reverse("facilitators:password-reset-sent")
    (message,) = reset_messages()
    assert message.context["purpose"] == "reset"
    assert message.recipient == facilitator.user.email


def test_an_invited_facilitator_without_a_password_gets_a_new_link(client, facilitator):
    facilitator.user.set_unusable_password()
    facilitator.user.save()

    client.post(RESET, {"email": facilitator.user.email})

    assert reset_messages().count() == 1


@pytest.mark.parametrize("who", ["unknown", "inactive facilitator", "staff"])
def test_others_get_the_same_answer_and_no_message(client, staff, who):
    email = {
        "unknown": "ingen@example.org",
        "inactive facilitator": FacilitatorFactory(active=False).user.email,
        "staff": staff.email,
    }[who]

    response = client.post(RESET, {"email": email})

    assert response.status_code == 302
    assert response["Location"] == reverse("facilitators:password-reset-sent")
    assert not reset_messages().exists()


def test_a_reset_link_sent_by_sms_works_too(facilitator):
    facilitator.user.email = ""
    facilitator.user.save()
    message = services.send_password_link(facilitator=facilitator, purpose="reset")

    rendered = messaging.render_message(message)

    assert message.channel == OutboundMessage.Channel.SMS
    assert Client().get(link_in(rendered.body), follow=True).context["validlink"]
