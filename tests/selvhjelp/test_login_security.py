"""Login throttling, staff idle timeout, session renewal, password length."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD
from tests.otp import confirmed_app_device, totp_code

pytestmark = pytest.mark.usefixtures("postgres")

ATTACKER = "203.0.113.9"
HOME = "198.51.100.7"
LOGINS = {
    "admin": ("/admin/login/", "staff"),
    "facilitators": ("/igangsetter/logg-inn/", "facilitator"),
}


def attempt(client, url, username, password, address, **extra):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


@pytest.fixture(params=list(LOGINS))
def login(request):
    """(login URL, username) for the admin login and the facilitator login."""
    url, who = LOGINS[request.param]
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    return url, user.username


def test_the_limit_and_cool_off_are_set(settings):
    assert settings.AXES_FAILURE_LIMIT == settings.LOGIN_FAILURE_LIMIT == 5
    assert settings.LOGIN_LOCKOUT_MINUTES == 15
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_lock_out_after_the_limit_with_the_norwegian_page(client, login, settings):
    url, username = login
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, url, username, "feil-passord", ATTACKER)
        assert response.status_code == 200  # the form again, with its error
    response = attempt(client, url, username, "feil-passord", ATTACKER)
    assert response.status_code == 429
    html = response.content.decode()
    # In the site's layout, in Norwegian, with the cool-off from the settings.
    assert '<html lang="nb">' in html and 'class="sh-header"' in html
    assert "<h1>For mange forsøk på å logge inn</h1>" in html
    assert "de neste 15 minuttene" in html
    assert username not in html
    # Now even the right password is refused from there.
    response = attempt(client, url, username, PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_elsewhere_do_not_lock_the_real_user_out(client, login, settings):
    url, username = login
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        attempt(Client(), url, username, "feil-passord", ATTACKER)
    assert attempt(Client(), url, username, PASSWORD, ATTACKER).status_code == 429
    # The real user, at their own address, logs in as usual.
    response = attempt(client, url, username, PASSWORD, HOME)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_other_users_at_the_same_address_are_not_locked(
    client, staff, other_centre_staff, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "/admin/login/", staff.username, "feil-passord", ATTACKER)
    response = attempt(client, "/admin/login/", other_centre_staff.username, PASSWORD, ATTACKER)
    assert response.status_code == 302


def test_the_lock_ends_after_the_cool_off(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "/admin/login/", staff.username, "feil-passord", ATTACKER)
    later = timezone.now() + datetime.timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        assert (
            attempt(client, "/admin/login/", staff.username, PASSWORD, ATTACKER).status_code == 302
        )


def test_a_good_login_clears_the_count(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(Client(), "/admin/login/", staff.username, "feil-passord", ATTACKER)
    assert attempt(Client(), "/admin/login/", staff.username, PASSWORD, ATTACKER).status_code == 302
    assert not AccessAttempt.objects.filter(failures_since_start__gt=0).exists()
    assert (
        attempt(client, "/admin/login/", staff.username, "feil-passord", ATTACKER).status_code
        == 200
    )


def test_the_address_is_read_past_the_trusted_proxies(client, staff, settings):
    """Behind one proxy (PROXY_COUNT=1) the address is the one the proxy appended:
    what the client writes further left changes nothing, as for the form's limit."""
    settings.PROXY_COUNT = 1
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(
            Client(),
            "/admin/login/",
            staff.username,
            "feil-passord",
            "10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, {ATTACKER}",
        )
    locked = attempt(
        Client(),
        "/admin/login/",
        staff.username,
        PASSWORD,
        "10.0.0.2",
        HTTP_X_FORWARDED_FOR=ATTACKER,
    )
    assert locked.status_code == 429
    assert AccessAttempt.objects.get().ip_address == ATTACKER
    # The real user comes through the same proxy from their own address.
    response = attempt(
        client, "/admin/login/", staff.username, PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR=HOME
    )
    assert response.status_code == 302


# --- Sessions ---------------------------------------------------------------------


def session_exists(key):
    return Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).exists()


def test_staff_sessions_end_after_the_idle_timeout(staff_client, settings):
    assert settings.STAFF_IDLE_TIMEOUT_MINUTES == 30
    start = timezone.now()
    # Working keeps the session alive, well past 30 minutes in all.
    for minutes in (20, 40, 60):
        with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
            assert staff_client.get("/admin/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=60 + 31), tick=False):
        response = staff_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_idle_timeout_is_configurable(staff_client, settings):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 5
    start = timezone.now()
    with time_machine.travel(start + datetime.timedelta(minutes=2), tick=False):
        assert staff_client.get("/admin/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=8), tick=False):
        assert staff_client.get("/admin/").status_code == 302


def test_facilitators_keep_the_usual_session_age(client, facilitator):
    client.force_login(facilitator.user)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=3), tick=False):
        assert client.get("/igangsetter/").status_code == 200


@pytest.mark.parametrize("url", ["/admin/login/", "/igangsetter/logg-inn/"])
def test_login_gives_a_new_session_key(client, staff, facilitator, url):
    session = client.session
    session["before-login"] = True
    session.save()
    before = session.session_key
    user = staff if url.startswith("/admin/") else facilitator.user
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    after = client.session.session_key
    assert after != before
    assert not session_exists(before)
    assert session_exists(after)


def test_passing_the_code_gives_a_new_session_key_again(client, staff):
    device = confirmed_app_device(staff)
    client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
    after_password = client.session.session_key
    client.post("/admin/tofaktor/", {"code": totp_code(device)})
    assert client.session.session_key != after_password
    assert not session_exists(after_password)


@pytest.mark.parametrize(
    ("login_url", "logout_url", "page"),
    [
        ("/admin/login/", "/admin/logout/", "/admin/"),
        ("/igangsetter/logg-inn/", "/igangsetter/logg-ut/", "/igangsetter/"),
    ],
)
def test_logout_ends_the_session(client, staff, facilitator, login_url, logout_url, page):
    if page == "/admin/":
        client.force_login(staff)
    else:
        client.force_login(facilitator.user)
    assert client.get(page).status_code == 200
    key = client.session.session_key
    client.post(logout_url)
    assert not session_exists(key)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(login_url)


# --- Passwords --------------------------------------------------------------------


def test_passwords_need_at_least_twelve_characters(staff):
    validate_password("Fjord-lys-7q", staff)  # 12 characters: accepted
    with pytest.raises(ValidationError) as error:
        validate_password("Fjord-lys-7", staff)  # 11: refused
    assert [e.code for e in error.value.error_list] == ["password_too_short"]
