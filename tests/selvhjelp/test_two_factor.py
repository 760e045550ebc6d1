"""Two-factor login for the admin: required, set up by the user, with backup codes."""

import re

import pytest
from django.core.checks import run_checks
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from selvhjelp import checks
from tests.factories import PASSWORD, StaffFactory
from tests.otp import confirmed_app_device, totp_code

pytestmark = pytest.mark.usefixtures("postgres")

ADMIN_PAGES = ["/admin/", "/admin/selvhjelp/centre/", "/admin/intake/intake/"]


def password_login(client, user, next_url="/admin/"):
    """The first step only: user name and password on the admin's login page."""
    return client.post(
        f"/admin/login/?next={next_url}", {"username": user.username, "password": PASSWORD}
    )


def test_a_password_alone_does_not_open_the_admin(client, staff):
    confirmed_app_device(staff)
    response = password_login(client, staff, "/admin/intake/intake/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/tofaktor/?next=%2Fadmin%2Fintake%2Fintake%2F"
    for url in ADMIN_PAGES:
        response = client.get(url)
        # Sent to the code, never shown the page.
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
        follow = client.get(response["Location"])
        assert follow.status_code == 302
        assert follow["Location"].startswith("/admin/tofaktor/")


def test_superusers_need_the_code_too(client, superuser):
    confirmed_app_device(superuser)
    response = password_login(client, superuser)
    assert response["Location"].startswith("/admin/tofaktor/")
    assert client.get("/admin/").status_code == 302


def test_staff_without_a_device_are_led_to_set_one_up(client, staff):
    response = password_login(client, staff)
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/tofaktor/sett-opp/")


def test_set_up_end_to_end_with_the_apps_code(client, staff):
    response = password_login(client, staff, "/admin/selvhjelp/centre/")
    response = client.get(response["Location"], follow=True)
    assert response.request["PATH_INFO"] == "/admin/tofaktor/sett-opp/"
    html = response.content.decode()
    assert "Sett opp innlogging i to trinn" in html
    # The QR code is drawn here, as an inline SVG image: no outside service, no script.
    qr = re.search(r'<img class="two-factor-qr" src="([^"]+)"', html).group(1)
    assert qr.startswith("data:image/svg+xml")
    assert "<script" not in html.split('<div id="content-main"')[1]
    device = TOTPDevice.objects.get(user=staff)
    assert not device.confirmed
    # The secret for manual entry is the device's.
    secret = re.search(r'<code class="two-factor-secret" id="secret">([^<]+)</code>', html)
    import base64

    assert base64.b32decode(secret.group(1).replace(" ", "")) == device.bin_key
    # Reloading shows the same secret (the app the user already scanned keeps working).
    assert secret.group(1) in client.get("/admin/tofaktor/sett-opp/").content.decode()

    wrong = client.post("/admin/tofaktor/sett-opp/", {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 200
    assert "Koden stemmer ikke." in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()

    old_key = client.session.session_key
    response = client.post(
        "/admin/tofaktor/sett-opp/",
        {"code": totp_code(device), "next": "/admin/selvhjelp/centre/"},
    )
    device.refresh_from_db()
    assert device.confirmed
    assert client.session.session_key != old_key
    # The ten backup codes are shown once, then the way on.
    assert response["Location"].startswith("/admin/tofaktor/reservekoder/")
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page)
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)
    )
    assert 'href="/admin/selvhjelp/centre/"' in page
    again = client.get("/admin/tofaktor/reservekoder/").content.decode()
    assert not set(codes) & set(re.findall(r"<code>([a-z0-9]+)</code>", again))
    assert "Du har 10 ubrukte reservekoder." in again
    # The session passed both steps: the admin opens.
    assert client.get("/admin/selvhjelp/centre/").status_code == 200


def test_a_user_with_a_device_logs_in_with_the_apps_code(client, staff):
    device = confirmed_app_device(staff)
    password_login(client, staff, "/admin/selvhjelp/centre/")
    page = client.get("/admin/tofaktor/?next=/admin/selvhjelp/centre/")
    assert "Bekreft at det er deg" in page.content.decode()
    response = client.post(
        "/admin/tofaktor/", {"code": totp_code(device), "next": "/admin/selvhjelp/centre/"}
    )
    assert response["Location"] == "/admin/selvhjelp/centre/"
    assert client.get("/admin/selvhjelp/centre/").status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_wrong_code_is_refused_next_to_the_field(client, staff):
    confirmed_app_device(staff)
    password_login(client, staff)
    response = client.post("/admin/tofaktor/", {"code": "123456"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "Koden stemmer ikke." in html
    assert client.get("/admin/").status_code == 302
    # Right after a wrong code the device makes the next attempt wait.
    response = client.post("/admin/tofaktor/", {"code": "654321"})
    assert "For mange feil koder på rad." in response.content.decode()


def test_a_backup_code_works_once(client, staff):
    from selvhjelp.two_factor import new_backup_codes

    confirmed_app_device(staff)
    codes = new_backup_codes(staff)
    password_login(client, staff)
    response = client.post("/admin/tofaktor/", {"code": codes[3].upper(), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Du brukte en reservekode. Du har 9 igjen." in index.content.decode()

    client.post("/admin/logout/")
    password_login(client, staff)
    response = client.post("/admin/tofaktor/", {"code": codes[3]})
    assert response.status_code == 200
    assert "Koden stemmer ikke." in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_new_backup_codes_replace_the_old(staff_client, staff):
    from selvhjelp.two_factor import new_backup_codes

    old = new_backup_codes(staff)
    response = staff_client.post("/admin/tofaktor/reservekoder/")
    page = staff_client.get(response["Location"]).content.decode()
    new = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page)
    assert len(new) == 10
    stored = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert stored == set(new) and not stored & set(old)
    # The link to them is in the admin's user links.
    assert 'href="/admin/tofaktor/reservekoder/"' in staff_client.get("/admin/").content.decode()


def test_one_can_log_out_between_the_two_steps(client, staff):
    confirmed_app_device(staff)
    password_login(client, staff)
    page = client.get("/admin/tofaktor/").content.decode()
    assert 'action="/admin/logout/"' in page and "Avbryt og logg ut" in page
    key = client.session.session_key
    client.post("/admin/logout/")
    assert "_auth_user_id" not in client.session
    assert client.session.session_key != key
    assert client.get("/admin/tofaktor/")["Location"].startswith("/admin/login/")


def test_the_backup_code_page_needs_a_verified_session(client, staff):
    confirmed_app_device(staff)
    password_login(client, staff)
    response = client.post("/admin/tofaktor/reservekoder/")
    assert response.status_code == 302
    assert not StaticToken.objects.filter(device__user=staff).exists()


def test_the_code_pages_are_for_staff_only(client, facilitator):
    client.force_login(facilitator.user)
    for url in ["/admin/tofaktor/", "/admin/tofaktor/sett-opp/"]:
        response = client.get(url)
        assert response["Location"].startswith("/admin/login/")
    assert not TOTPDevice.objects.exists()


def test_next_cannot_lead_elsewhere(client, staff):
    device = confirmed_app_device(staff)
    password_login(client, staff)
    response = client.post(
        "/admin/tofaktor/", {"code": totp_code(device), "next": "https://example.com/"}
    )
    assert response["Location"] == "/admin/"


def test_facilitators_log_in_without_a_code(client, facilitator):
    response = client.post(
        "/igangsetter/logg-inn/", {"username": facilitator.user.username, "password": PASSWORD}
    )
    assert response["Location"] == "/igangsetter/"
    assert client.get("/igangsetter/").status_code == 200


def test_relaxed_setting_lets_the_password_alone_in(client, staff, settings):
    settings.ADMIN_2FA_REQUIRED = False
    response = password_login(client, staff, "/admin/selvhjelp/centre/")
    assert response["Location"] == "/admin/selvhjelp/centre/"
    assert client.get("/admin/selvhjelp/centre/").status_code == 200


def two_factor_errors():
    return [m for m in run_checks() if m.id == checks.TWO_FACTOR_RELAXED_ID]


def test_relaxing_two_factor_without_debug_is_a_system_check_error(settings):
    settings.DEBUG = False
    settings.ADMIN_2FA_REQUIRED = False
    [error] = two_factor_errors()
    assert error.is_serious()
    assert "ADMIN_2FA_REQUIRED" in error.msg


@pytest.mark.parametrize(("debug", "required"), [(True, False), (False, True), (True, True)])
def test_no_error_when_two_factor_is_on_or_debug(settings, debug, required):
    settings.DEBUG = debug
    settings.ADMIN_2FA_REQUIRED = required
    assert two_factor_errors() == []


def test_force_login_of_staff_in_tests_is_a_verified_session(client, staff):
    """The suite's force_login (tests/conftest.py) passes 2FA as a real login does."""
    client.force_login(staff)
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/admin/").status_code == 200


def test_force_login_with_an_unconfirmed_device_is_not_verified(client, staff):
    """The middleware, not the test helper, decides: an unconfirmed device counts for nothing."""
    device = TOTPDevice.objects.create(user=staff, name="x", confirmed=False)
    client.force_login(StaffFactory())  # another user, so the session exists
    session = client.session
    from django.contrib.auth import SESSION_KEY

    session[SESSION_KEY] = str(staff.pk)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get("/admin/").status_code == 302
