"""Staff export everything stored about a person, and erase a person, from the form's admin page."""

import pytest
from auditlog.models import LogEntry as AuditEntry
from django.contrib.contenttypes.models import ContentType

from intake import retention
from intake.models import Intake
from tests.dbscan import find_everywhere
from tests.intake.test_retention import group_of, handle, member, person

pytestmark = pytest.mark.usefixtures("postgres")


def url(intake, page):
    return f"/admin/intake/intake/{intake.pk}/{page}/"


def access_entries(pk):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Intake),
        object_pk=str(pk),
        action=AuditEntry.Action.ACCESS,
    )


@pytest.fixture
def marked(centre, staff):
    intake = person(centre, "Zqxright")
    handle(intake, staff, "Zqxright")
    return intake


def test_the_change_page_offers_export_and_erasure(staff_client, marked):
    html = staff_client.get(url(marked, "change")).content.decode()
    assert f'href="{url(marked, "export")}"' in html
    assert f'href="{url(marked, "erase")}"' in html


def test_export_is_a_norwegian_file_named_by_reference_with_everything_and_is_recorded(
    staff_client, staff, marked
):
    before = access_entries(marked.pk).count()

    response = staff_client.get(url(marked, "export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="selvhjelp-{marked.reference}.html"'
    )
    assert "Zqxright" not in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert '<html lang="nb">' in text
    for expected in (
        "Kari Søstrø Zqxright",
        "zqxright@example.org",
        "+4791234567",
        "Jeg sliter med Zqxright",
        "Noe annet",  # the theme
        "Statushistorikk",
        "Snakket med Zqxright",  # the staff's note
        "Vi har fått interessemeldingen din",  # the receipt sent
    ):
        assert expected in text, expected
    assert access_entries(marked.pk).count() == before + 1
    assert access_entries(marked.pk).last().actor == staff


def test_export_says_who_opened_the_form_and_when(staff_client, staff, marked):
    staff.first_name, staff.last_name = "Siri", "Saksbehandler"
    staff.save(update_fields=["first_name", "last_name"])
    staff_client.get(url(marked, "change"))

    text = staff_client.get(url(marked, "export")).content.decode("utf-8")

    section = text[text.index("Hvem som har åpnet eller endret skjemaet ditt") :]
    assert "Åpnet eller eksportert" in section
    assert "Siri Saksbehandler" in section


def test_export_lists_groups(staff_client, staff, centre):
    intake = person(centre, "Zqxgroup")
    member(intake, group_of(centre), staff, "Zqxgroup")
    text = staff_client.get(url(intake, "export")).content.decode()
    assert "Tirsdagsgruppa" in text


def test_erasure_asks_first_and_changes_nothing_on_get(staff_client, marked):
    response = staff_client.get(url(marked, "erase"))
    assert response.status_code == 200
    assert "Ja, slett personen" in response.content.decode()
    assert Intake.objects.filter(pk=marked.pk).exists()


def test_erasure_leaves_the_marker_nowhere_and_an_access_entry_of_the_reference_only(
    staff_client, staff, marked
):
    reference = marked.reference

    response = staff_client.post(url(marked, "erase"))

    assert response.status_code == 302
    assert not Intake.objects.filter(pk=marked.pk).exists()
    assert find_everywhere("Zqxright") == {}
    assert find_everywhere("Søstrø") == {}
    [entry] = access_entries(marked.pk)
    assert entry.actor == staff
    assert entry.object_repr == f"{reference} {retention.ERASED}"


def test_a_former_member_is_anonymised_on_erasure(staff_client, staff, centre):
    intake = person(centre, "Zqxformer")
    member(intake, group_of(centre), staff, "Zqxformer")

    staff_client.post(url(intake, "erase"))

    assert Intake.objects.get(pk=intake.pk).anonymised_at is not None
    assert find_everywhere("Zqxformer") == {}


def test_an_active_member_cannot_be_erased_until_they_leave(staff_client, staff, centre):
    from groups.models import Membership

    intake = person(centre, "Zqxactive")
    Membership.objects.create(group=group_of(centre), intake=intake, seat=1)

    response = staff_client.post(url(intake, "erase"), follow=True)

    assert "avslutt medlemskapet" in response.content.decode().lower()
    assert Intake.objects.get(pk=intake.pk).name.endswith("Zqxactive")


def test_the_plain_delete_page_leads_to_erasure(staff_client, marked):
    response = staff_client.get(url(marked, "delete"))
    assert response.status_code == 302
    assert response.url == url(marked, "erase")


@pytest.mark.parametrize("page", ["export", "erase"])
def test_another_centres_staff_get_nothing(other_staff_client, marked, page):
    assert other_staff_client.get(url(marked, page)).status_code == 404
    assert other_staff_client.post(url(marked, page)).status_code == 404
    assert Intake.objects.get(pk=marked.pk).name.endswith("Zqxright")
    assert (
        not access_entries(marked.pk)
        .exclude(actor__isnull=True)
        .exclude(actor__staff_memberships__centre=marked.centre)
        .exists()
    )


@pytest.mark.parametrize("page", ["export", "erase"])
def test_anonymous_visitors_are_sent_to_the_login(client, marked, page):
    response = client.post(url(marked, page))
    assert response.status_code == 302
    assert "/login/" in response.url
    assert Intake.objects.filter(pk=marked.pk).exists()


def test_the_erasure_service_refuses_another_centres_staff(other_centre_staff, marked):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        retention.erase_person(intake=marked, actor=other_centre_staff)
    assert Intake.objects.filter(pk=marked.pk).exists()
