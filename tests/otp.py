"""Two-factor helpers for tests: a user's device, a verified session, the app's code."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_app_device(user):
    """The user's confirmed authenticator-app (TOTP) device, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test app", confirmed=True)


def verify_client_session(client, user):
    """Mark the test client's session as verified by the user's device, as
    django_otp.login() does after a right code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = confirmed_app_device(user).persistent_id
    session.save()


def totp_code(device):
    """The six digits the user's authenticator app shows now."""
    device.refresh_from_db()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def admin_log_in(page, live_server, username, password):
    """Log in to the admin in the browser as staff do: password, then the app's code.

    The user gets a confirmed app device first if they have none, as after set-up.
    """
    from django.contrib.auth import get_user_model

    device = confirmed_app_device(get_user_model().objects.get(username=username))
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url("**/admin/tofaktor/**")
    page.get_by_label("Kode", exact=True).fill(totp_code(device))
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(lambda url: "/tofaktor/" not in url)
