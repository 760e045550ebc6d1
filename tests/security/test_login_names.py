"""Any user name typed on either login page gets the usual answer, and is counted."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

pytestmark = pytest.mark.usefixtures("postgres")

LOGINS = ["/admin/login/", "/igangsetter/logg-inn/"]
# Each page's "wrong user name or password".
WRONG = {
    "/admin/login/": "oppgi gyldig brukernavn og passord",
    "/igangsetter/logg-inn/": "Brukernavnet eller passordet er feil.",
}

NAMES = {
    "300 letters": "x" * 300,
    "2000 letters": "æøå" * 700,
    "combining marks": "a" + "\u0301" * 400,
    # Each grows to 18 characters under NFKC: 20 of them become 360.
    "grows under normalisation": "\ufdfa" * 20,
    "NUL byte": "kari\x00nordmann",
    "right-to-left override": "\u202eadmin",
    "markup": "<script>alert(1)</script>",
    "emoji": "🙂" * 200,
}


@pytest.mark.parametrize("url", LOGINS)
@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_any_user_name_gets_the_usual_answer_and_is_counted(url, name):
    client = Client(raise_request_exception=False)
    response = client.post(
        url, {"username": name, "password": "feil-passord"}, REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 200
    assert WRONG[url] in response.content.decode()
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == 1
    assert len(attempt.username) <= 150
    assert "\x00" not in attempt.username


@pytest.mark.parametrize("url", LOGINS)
def test_a_long_name_is_locked_out_like_any_other(url, settings):
    client = Client(raise_request_exception=False)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(url, {"username": "y" * 400, "password": "feil"}, REMOTE_ADDR="203.0.113.5")
    response = client.post(
        url, {"username": "y" * 400, "password": "feil"}, REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 429


@pytest.mark.parametrize("url", LOGINS)
def test_a_nul_in_the_password_is_a_wrong_password(url, facilitator):
    client = Client(raise_request_exception=False)
    response = client.post(
        url,
        {"username": facilitator.user.username, "password": "a\x00b"},
        REMOTE_ADDR="203.0.113.5",
    )
    assert response.status_code == 200
    assert WRONG[url] in response.content.decode()
    assert AccessAttempt.objects.get().failures_since_start == 1
