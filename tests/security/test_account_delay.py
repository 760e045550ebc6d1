"""Guessing one account's password from many addresses is slowed per account, for a
while only; wrong second-factor codes count too; password links are limited per hour."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from selvhjelp import login_security
from selvhjelp.models import OutboundMessage
from tests.factories import PASSWORD
from tests.otp import confirmed_app_device, totp_code

pytestmark = pytest.mark.usefixtures("postgres")

LOGINS = {
    "admin": ("/admin/login/", "staff"),
    "facilitators": ("/igangsetter/logg-inn/", "facilitator"),
}
HOME = "198.51.100.7"


def stranger(i):
    return f"203.0.113.{i}"


def attempt(url, username, password, address):
    return Client().post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.fixture(params=list(LOGINS))
def login(request):
    url, who = LOGINS[request.param]
    user = request.getfixturevalue(who)
    return url, getattr(user, "user", user).username


def guess_from_many_addresses(url, username, count):
    """`count` wrong passwords, each from its own address (below axes' per-address limit)."""
    for i in range(count):
        response = attempt(url, username, "feil-passord", stranger(i))
        assert response.status_code == 200


def test_many_addresses_guessing_one_account_must_wait(login, settings):
    url, username = login
    guess_from_many_addresses(url, username, settings.LOGIN_ACCOUNT_FREE_FAILURES)
    # From yet another address, even the right password now waits, and hears how long.
    response = attempt(url, username, PASSWORD, stranger(200))
    assert response.status_code == 200
    html = response.content.decode()
    assert "For mange mislykkede forsøk på å logge inn som denne brukeren." in html
    assert "Vent 1 minutt, og prøv igjen." in html
    assert "_auth_user_id" not in Client().session


def test_the_wait_grows_with_each_failure_up_to_the_cap(login, settings):
    url, username = login
    start = timezone.now()
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        guess_from_many_addresses(url, username, settings.LOGIN_ACCOUNT_FREE_FAILURES)
        for i in range(8):
            wait = login_security.seconds_to_wait(username, stranger(100 + i))
            waits.append(wait)
            clock.shift(datetime.timedelta(seconds=wait))
            assert attempt(url, username, "feil", stranger(100 + i)).status_code == 200
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]


def test_attempts_refused_while_waiting_do_not_make_the_wait_longer(login, settings):
    url, username = login
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        guess_from_many_addresses(url, username, settings.LOGIN_ACCOUNT_FREE_FAILURES)
        for i in range(20):
            assert "Vent 1 minutt" in attempt(url, username, "feil", stranger(100 + i)).text
        clock.shift(datetime.timedelta(seconds=30))
        assert login_security.seconds_to_wait(username, stranger(200)) == 0
        attempt(url, username, "feil", stranger(200))
        assert login_security.seconds_to_wait(username, stranger(201)) == 60


def test_a_password_alone_does_not_make_the_address_known(staff, settings):
    """Staff are known at an address only after the second factor: whoever has the
    password alone still waits for guessing codes."""
    confirmed_app_device(staff)
    response = attempt("/admin/login/", staff.username, PASSWORD, stranger(7))
    assert response["Location"].startswith("/admin/tofaktor/")
    guess_from_many_addresses("/admin/login/", staff.username, settings.LOGIN_ACCOUNT_FREE_FAILURES)
    assert login_security.seconds_to_wait(staff.username, stranger(7)) == 30


def test_the_owner_is_let_in_once_the_wait_is_over(login, settings):
    url, username = login
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        guess_from_many_addresses(url, username, settings.LOGIN_ACCOUNT_FREE_FAILURES + 20)
    later = start + datetime.timedelta(minutes=settings.LOGIN_ACCOUNT_MAX_DELAY_MINUTES, seconds=1)
    with time_machine.travel(later, tick=False):
        assert attempt(url, username, PASSWORD, stranger(250)).status_code == 302


def test_the_owner_at_an_address_they_logged_in_from_does_not_wait(login, settings):
    url, username = login
    client = Client()
    response = client.post(url, {"username": username, "password": PASSWORD}, REMOTE_ADDR=HOME)
    assert response.status_code == 302
    if url.startswith("/admin/"):  # staff are in after the second factor
        device = confirmed_app_device(get_user_model().objects.get(username=username))
        response = client.post("/admin/tofaktor/", {"code": totp_code(device)}, REMOTE_ADDR=HOME)
        assert response.status_code == 302
    guess_from_many_addresses(url, username, settings.LOGIN_ACCOUNT_FREE_FAILURES + 5)
    assert attempt(url, username, PASSWORD, stranger(250)).status_code == 200
    assert attempt(url, username, PASSWORD, HOME).status_code == 302


def test_the_per_address_lock_out_still_holds(login, settings):
    url, username = login
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(url, username, "feil-passord", stranger(1))
    assert attempt(url, username, PASSWORD, stranger(1)).status_code == 429


def test_other_accounts_do_not_wait(client, staff, other_centre_staff, settings):
    guess_from_many_addresses("/admin/login/", staff.username, 15)
    response = attempt("/admin/login/", other_centre_staff.username, PASSWORD, stranger(250))
    assert response.status_code == 302


def test_wrong_second_factor_codes_count_toward_the_wait(staff, settings):
    device = confirmed_app_device(staff)
    client = Client()
    response = client.post(
        "/admin/login/", {"username": staff.username, "password": PASSWORD}, REMOTE_ADDR=HOME
    )
    assert response["Location"].startswith("/admin/tofaktor/")
    for _ in range(settings.LOGIN_ACCOUNT_FREE_FAILURES):
        # Each from a fresh device throttle, so django-otp's own wait is not what stops it.
        device.throttling_failure_count = 0
        device.save(update_fields=["throttling_failure_count"])
        response = client.post("/admin/tofaktor/", {"code": "000000"}, REMOTE_ADDR=stranger(9))
        assert "Koden stemmer ikke" in response.content.decode()
    # A password from elsewhere now waits ...
    response = attempt("/admin/login/", staff.username, PASSWORD, stranger(250))
    assert "Vent 1 minutt" in response.content.decode()
    # ... and so does the right code from the addresses the codes came from.
    device.throttling_failure_count = 0
    device.save(update_fields=["throttling_failure_count"])
    response = client.post("/admin/tofaktor/", {"code": totp_code(device)}, REMOTE_ADDR=stranger(9))
    assert response.status_code == 200
    assert "Vent 1 minutt" in response.content.decode()


# --- Password links ------------------------------------------------------------------

RESET = "/igangsetter/glemt-passord/"


def reset_messages():
    return OutboundMessage.objects.filter(message_type="facilitator_password_link")


def test_password_links_are_limited_per_account_per_hour(facilitator, settings):
    email = facilitator.user.email
    limit = settings.PASSWORD_RESET_EMAILS_PER_HOUR
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for i in range(limit):
            response = Client().post(RESET, {"email": email}, REMOTE_ADDR=stranger(i))
            assert response.status_code == 302
        # From another address, in other letters: no more links this hour.
        response = Client().post(RESET, {"email": email.upper()}, REMOTE_ADDR=stranger(99))
    assert response.status_code == 200
    assert "Vent 60 minutter, og be om en ny." in response.content.decode()
    assert reset_messages().count() == limit
    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        response = Client().post(RESET, {"email": email}, REMOTE_ADDR=stranger(98))
    assert response.status_code == 302
    assert reset_messages().count() == limit + 1


def test_an_unknown_address_gets_the_same_answer_as_a_known_one(db, settings):
    for _ in range(settings.PASSWORD_RESET_EMAILS_PER_HOUR):
        assert Client().post(RESET, {"email": "ingen@example.no"}).status_code == 302
    response = Client().post(RESET, {"email": "ingen@example.no"})
    assert "Vent 60 minutter" in response.content.decode()
