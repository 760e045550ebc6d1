"""Who reads a form's health information: the centre's staff, and a superuser only with a reason.

A national administrator who is not staff of the form's centre sees the
name, contact details and status; the themes and free text only after giving
a reason, which the access log keeps (and the person's export shows).
"""

import datetime

import pytest
import time_machine
from django.utils import timezone

from intake import rights
from intake.models import Theme
from selvhjelp.audit import Action
from selvhjelp.models import AccessEntry
from selvhjelp.services import grant_centre_access
from tests.factories import IntakeFactory

pytestmark = pytest.mark.usefixtures("postgres")

SECRET = "Zqxhelse sover ikke"


@pytest.fixture
def form(centre):
    intake = IntakeFactory(centre=centre, name="Kari Zqxnavn", about=SECRET)
    intake.themes.add(Theme.objects.create(name="Zqxtema"))
    return intake


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def change_page(client, intake):
    return client.get(f"/admin/intake/intake/{intake.pk}/change/").content.decode()


def test_the_centres_staff_read_everything(staff_client, form):
    html = change_page(staff_client, form)

    assert SECRET in html and "Zqxtema" in html


def test_a_superuser_outside_the_centre_sees_name_and_status_but_no_health_information(
    admin_client, form
):
    html = change_page(admin_client, form)

    assert "Kari Zqxnavn" in html
    assert SECRET not in html and "Zqxtema" not in html
    assert f"/admin/intake/intake/{form.pk}/read-health/" in html


def test_giving_a_reason_opens_it_for_a_while_and_is_logged(
    admin_client, superuser, form, settings
):
    settings.BREAK_GLASS_MINUTES = 30
    url = f"/admin/intake/intake/{form.pk}/read-health/"
    assert "Hvorfor trenger du å lese det?" in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"reason": "Senteret ba om hjelp med en feil"})

    assert response.status_code == 302
    html = change_page(admin_client, form)
    assert SECRET in html and "Zqxtema" in html
    [entry] = AccessEntry.objects.filter(action=Action.READ_HEALTH)
    assert (entry.actor, entry.reason) == (superuser, "Senteret ba om hjelp med en feil")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        assert SECRET not in change_page(admin_client, form)


def test_a_reason_too_short_opens_nothing(admin_client, form):
    url = f"/admin/intake/intake/{form.pk}/read-health/"

    response = admin_client.post(url, {"reason": "fordi"})

    assert response.status_code == 200
    assert "minst 10 tegn" in response.content.decode()
    assert not AccessEntry.objects.filter(action=Action.READ_HEALTH).exists()
    assert SECRET not in change_page(admin_client, form)


def test_the_export_needs_the_reason_too(admin_client, form):
    response = admin_client.get(f"/admin/intake/intake/{form.pk}/export/")

    assert response.status_code == 302
    assert response.url == f"/admin/intake/intake/{form.pk}/read-health/"
    assert not AccessEntry.objects.filter(action=Action.EXPORTED).exists()


def test_a_superuser_who_is_staff_of_the_centre_needs_no_reason(admin_client, superuser, form):
    grant_centre_access(user=superuser, centres=[form.centre])

    assert SECRET in change_page(admin_client, form)
    assert rights.may_read_health(superuser, form)


def test_a_reason_for_one_form_opens_no_other(superuser, form, centre):
    other = IntakeFactory(centre=centre)
    rights.break_the_glass(intake=form, actor=superuser, reason="Feilretting for senteret")

    assert rights.may_read_health(superuser, form)
    assert not rights.may_read_health(superuser, other)


def test_staff_cannot_break_the_glass(staff, other_centre_intake):
    from django.core.exceptions import PermissionDenied

    assert not rights.may_read_health(staff, other_centre_intake)
    with pytest.raises(PermissionDenied):
        rights.break_the_glass(intake=other_centre_intake, actor=staff, reason="x" * 20)


def test_filtering_by_theme_shows_a_superuser_only_their_own_centres(admin_client, form):
    theme = form.themes.get()

    html = admin_client.get("/admin/intake/intake/", {"themes__id__exact": theme.pk}).content
    assert "Kari Zqxnavn" not in html.decode()


def test_forming_a_group_shows_the_themes_to_the_centres_staff(staff_client, form):
    response = staff_client.post(
        "/admin/intake/intake/",
        {"action": "form_group_action", "_selected_action": [form.pk]},
    )

    assert "<td>Zqxtema</td>" in response.content.decode()


def test_forming_a_group_hides_the_themes_from_a_superuser_outside_the_centre(admin_client, form):
    response = admin_client.post(
        "/admin/intake/intake/",
        {"action": "form_group_action", "_selected_action": [form.pk]},
    )

    html = response.content.decode()
    assert "Kari Zqxnavn" in html
    assert "<td>Zqxtema</td>" not in html  # the person's themes (the group's choice stays)
    assert AccessEntry.objects.filter(action=Action.LISTED, page="form_group").exists()


def test_a_groups_shared_theme_is_not_shown_to_a_superuser_outside_the_centre(
    admin_client, staff, centre
):
    from django.test import Client

    from groups.models import Group

    staff_client = Client()
    staff_client.force_login(staff)
    theme = Theme.objects.create(name="Zqxgruppetema")
    group = Group.objects.create(
        centre=centre,
        name="Sorggruppa",
        kind=Group.Kind.SAME,
        theme=theme,
        format=Group.Format.PHYSICAL,
        venue="Rom 1",
        weekday=1,
        start_time=datetime.time(18),
        planned_start=timezone.localdate(),
    )
    url = f"/admin/groups/group/{group.pk}/change/"

    assert "Zqxgruppetema" in staff_client.get(url).content.decode()
    html = admin_client.get(url).content.decode()
    assert "Sorggruppa" in html and "Zqxgruppetema" not in html
