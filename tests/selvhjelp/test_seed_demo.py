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


def test_demo_staff_can_log_in_and_see_only_their_centre(client):
    call_command("seed_demo")
    assert client.login(username="ansatt-arna", password="demo-passord-2026")
    html = client.get("/admin/selvhjelp/centre/").content.decode()
    assert "Arna frivilligsentral" in html
    assert "LINK Oslo" not in html
