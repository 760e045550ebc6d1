import base64

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from facilitators.models import Facilitator
from selvhjelp.models import Centre, StaffMembership

pytestmark = pytest.mark.django_db


def counts():
    return (
        Centre.objects.count(),
        get_user_model().objects.count(),
        StaffMembership.objects.count(),
        Facilitator.objects.count(),
    )


def test_seed_demo_is_idempotent_and_prints_the_logins(capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first[0] >= 3 and first[3] >= 2
    out = capsys.readouterr().out
    assert "ansatt-arna" in out and "admin" in out and "demo-passord" in out


def demo_backup_codes(out, username):
    """The backup codes seed_demo printed for `username`."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.split()[:1] == [username] and "app key:" in line:
            return lines[i + 1].split("backup codes:")[1].split()
    raise AssertionError(f"no backup codes printed for {username}")


def test_demo_staff_can_log_in_and_see_only_their_centre(client, capsys):
    call_command("seed_demo")
    codes = demo_backup_codes(capsys.readouterr().out, "ansatt-arna")
    assert len(codes) == 10

    response = client.post(
        "/admin/login/?next=/admin/selvhjelp/centre/",
        {"username": "ansatt-arna", "password": "demo-passord-2026"},
    )
    # The password alone does not open the admin: a code comes next.
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/tofaktor/")
    response = client.post(response["Location"], {"code": codes[0]}, follow=True)
    html = response.content.decode()
    assert response.request["PATH_INFO"] == "/admin/selvhjelp/centre/"
    assert "Arna frivilligsentral" in html
    assert "LINK Oslo" not in html


def test_demo_prints_an_app_key_that_gives_working_codes(capsys):
    from django_otp.oath import totp

    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out
    key_line = next(
        line for line in second.splitlines() if line.startswith("  admin ") and "app key:" in line
    )
    key = key_line.split("app key:")[1].replace(" ", "")
    # The key is kept between runs (a developer adds it to an app once) ...
    assert key_line in first
    # ... and it is the device's key: the app's code is the device's code.
    device = get_user_model().objects.get(username="admin").totpdevice_set.get()
    assert base64.b32decode(key) == device.bin_key
    assert device.verify_token(totp(base64.b32decode(key)))
    # Backup codes are new on every run; the old ones no longer work.
    assert demo_backup_codes(first, "admin") != demo_backup_codes(second, "admin")
