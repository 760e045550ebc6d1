"""A person's rights from the form's admin page: export, and erasure by two people.

Erasure: a superuser erases at once; a centre's staff member asks and a second
person (another staff member of the centre, or a superuser) confirms. The
access log keeps every earlier access, both steps and who did them, with the
person replaced by a pseudonym.
"""

import datetime
from io import StringIO

import pytest
import time_machine
from auditlog.context import set_actor
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone

from groups.models import Membership
from intake import rights, services
from intake.models import ErasureRequest, Intake, IntakeError
from selvhjelp.audit import Action
from selvhjelp.models import AccessedPerson, AccessEntry, OutboundMessage
from tests.dbscan import find_everywhere
from tests.factories import StaffFactory
from tests.intake.test_retention import group_of, handle, member, person

pytestmark = pytest.mark.usefixtures("postgres")


def url(intake, page):
    return f"/admin/intake/intake/{intake.pk}/{page}/"


def accesses(intake, action=None):
    """The access log's entries naming `intake`, oldest first."""
    entries = AccessEntry.objects.filter(
        people__person_type=ContentType.objects.get_for_model(Intake),
        people__person_id=intake.pk,
    ).order_by("at", "pk")
    return entries.filter(action=action) if action else entries


@pytest.fixture
def marked(centre, staff):
    intake = person(centre, "Zqxright")
    handle(intake, staff, "Zqxright")
    return intake


@pytest.fixture
def colleague(centre):
    return StaffFactory(centres=[centre], first_name="Kari", last_name="Kollega")


def test_the_change_page_offers_export_and_erasure(staff_client, marked):
    html = staff_client.get(url(marked, "change")).content.decode()
    assert f'href="{url(marked, "export")}"' in html
    assert f'href="{url(marked, "erase")}"' in html


# --- Export ------------------------------------------------------------------------


def test_export_is_a_norwegian_file_named_by_reference_with_everything_and_is_recorded(
    staff_client, staff, marked
):
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
    [export] = accesses(marked, Action.EXPORTED)
    assert export.actor == staff


def test_opening_and_exporting_are_different_actions_in_the_log_and_the_export(
    staff_client, staff, marked
):
    staff.first_name, staff.last_name = "Siri", "Saksbehandler"
    staff.save(update_fields=["first_name", "last_name"])
    staff_client.get(url(marked, "change"))
    staff_client.get(url(marked, "export"))

    text = staff_client.get(url(marked, "export")).content.decode("utf-8")

    assert [entry.action for entry in accesses(marked)] == [
        Action.OPENED,  # handle() opened it
        Action.OPENED,
        Action.EXPORTED,
        Action.EXPORTED,
    ]
    section = text[text.index("Hvem som har åpnet, sett eller eksportert skjemaet ditt") :]
    assert "Åpnet personens side" in section
    assert "Eksporterte alt som er lagret" in section
    assert "Siri Saksbehandler" in section


def test_export_shows_every_change_with_the_values_before_and_after(staff_client, staff, marked):
    with set_actor(staff):
        marked.name, marked.phone = "Kari Nyttnavn", "+4791234599"
        services.update_intake_details(intake=marked, fields=["name", "phone"], actor=staff)

    text = staff_client.get(url(marked, "export")).content.decode("utf-8")

    section = text[text.index("Endringer i skjemaet ditt") :]
    assert "Skjemaet kom inn" in section
    assert "navn: fra «Kari Søstrø Zqxright» til «Kari Nyttnavn»" in section
    assert "mobilnummer: fra «+4791234567» til «+4791234599»" in section


def test_export_renders_every_message_that_went_to_the_person(staff_client, staff, centre):
    intake = person(centre, "Zqxgroupmsg")
    member(intake, group_of(centre), staff, "Zqxgroupmsg")
    assert OutboundMessage.objects.filter(message_type="group_meeting_moved").exists()

    text = staff_client.get(url(intake, "export")).content.decode()

    assert "Tirsdagsgruppa" in text
    assert "Bekreftelse på interessemelding" in text
    assert "Et gruppemøte er flyttet" in text


def test_export_shows_the_consent_text_the_person_agreed_to(staff_client, marked):
    from intake.models import ConsentText

    agreed = ConsentText.objects.get(version=marked.consent_version, language="nb")

    text = staff_client.get(url(marked, "export")).content.decode()

    assert agreed.text in text


# --- Erasure: two people -------------------------------------------------------------


def test_erasure_asks_first_and_changes_nothing_on_get(staff_client, marked):
    response = staff_client.get(url(marked, "erase"))
    assert response.status_code == 200
    assert "Be en kollega bekrefte" in response.content.decode()
    assert Intake.objects.filter(pk=marked.pk).exists()
    assert not ErasureRequest.objects.exists()


def test_staff_ask_and_nothing_is_erased_until_a_colleague_confirms(
    client, staff, colleague, marked
):
    reference = marked.reference
    client.force_login(staff)

    asked = client.post(url(marked, "erase"), {"reason": "Brev 2. desember"}, follow=True)

    assert "må bekrefte den innen 7 dager" in asked.content.decode()
    assert Intake.objects.filter(pk=marked.pk).exists()
    request = ErasureRequest.objects.get(intake=marked)
    assert (request.requested_by, request.reason) == (staff, "Brev 2. desember")
    # The one who asked cannot confirm, not even by posting again.
    again = client.post(url(marked, "erase"), follow=True)
    assert "Du ba om denne slettingen selv" in again.content.decode()
    assert Intake.objects.filter(pk=marked.pk).exists()

    client.force_login(colleague)
    page = client.get(url(marked, "erase")).content.decode()
    assert "Bekreft: slett personen" in page
    confirmed = client.post(url(marked, "erase"))

    assert confirmed.status_code == 302
    assert not Intake.objects.filter(pk=marked.pk).exists()
    assert not ErasureRequest.objects.exists()
    assert find_everywhere("Zqxright") == {}
    assert find_everywhere(reference) == {}
    # Both people are in the access log, with every earlier access, under one pseudonym.
    entries = list(AccessEntry.objects.exclude(action=Action.OPENED).order_by("at", "pk"))
    assert [(entry.action, entry.actor) for entry in entries] == [
        (Action.ERASURE_REQUESTED, staff),
        (Action.ERASED, colleague),
    ]
    assert AccessEntry.objects.filter(action=Action.OPENED, actor=staff).count() == 3
    codes = set(AccessedPerson.objects.values_list("pseudonym", flat=True))
    assert len(codes) == 1 and len(codes.pop()) == 16
    assert not AccessedPerson.objects.filter(person_id__isnull=False).exists()
    assert entries[-1].reason == "Brev 2. desember"


def test_a_superuser_erases_at_once_and_the_message_says_what_is_kept(
    client, superuser, staff, marked
):
    opened_before = accesses(marked).count()
    client.force_login(superuser)

    response = client.post(url(marked, "erase"), {"reason": "Brev"}, follow=True)

    html = response.content.decode()
    assert "er slettet: skjemaet og alt som navnga personen" in html
    assert "Tilgangsloggen tar vare på hvem som åpnet skjemaet" in html
    assert not Intake.objects.filter(pk=marked.pk).exists()
    # Nobody's earlier entry is removed: they are only no longer linked to the person.
    assert AccessEntry.objects.count() == opened_before + 1
    assert AccessEntry.objects.filter(actor=staff, action=Action.OPENED).count() == opened_before


def test_a_superuser_confirms_a_staff_request(client, staff, superuser, marked):
    rights.erase_person(intake=marked, actor=staff)
    client.force_login(superuser)

    client.post(url(marked, "erase"))

    assert not Intake.objects.filter(pk=marked.pk).exists()


def test_staff_of_another_centre_cannot_confirm(staff, other_centre_staff, marked):
    rights.erase_person(intake=marked, actor=staff)

    with pytest.raises(PermissionDenied):
        rights.erase_person(intake=marked, actor=other_centre_staff)
    assert Intake.objects.filter(pk=marked.pk).exists()


def test_a_request_lapses_after_the_days_set_and_then_counts_as_a_new_request(
    staff, colleague, marked, settings
):
    settings.ERASURE_REQUEST_DAYS = 7
    rights.erase_person(intake=marked, actor=staff)

    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        assert rights.pending_request(marked) is None
        outcome = rights.erase_person(intake=marked, actor=colleague)

    assert outcome.erased is None
    assert ErasureRequest.objects.get(intake=marked).requested_by == colleague
    assert Intake.objects.filter(pk=marked.pk).exists()


def test_the_one_who_asked_can_withdraw_the_request(client, staff, marked):
    rights.erase_person(intake=marked, actor=staff)
    client.force_login(staff)

    client.post(url(marked, "erase"), {"_drop": "1"})

    assert not ErasureRequest.objects.exists()
    assert list(accesses(marked).values_list("action", flat=True))[-2:] == [
        Action.ERASURE_REQUESTED,
        Action.ERASURE_CANCELLED,
    ]


def test_colleagues_see_a_pending_request_on_the_page_and_the_start_page(
    client, staff, colleague, marked, centre
):
    from intake import selectors
    from selvhjelp.models import Centre

    rights.erase_person(intake=marked, actor=staff)
    client.force_login(colleague)

    page = client.get(url(marked, "change")).content.decode()

    assert "har bedt om at opplysningene om denne personen slettes" in page
    section = selectors.pending_erasures_section(
        Centre.objects.filter(pk=centre.pk), timezone.localdate(), None
    )
    assert section.count == 1
    assert section.rows[0].url == url(marked, "erase")
    assert selectors.count_pending_erasures(timezone.localdate()) == {centre.pk: 1}


def test_a_former_member_is_anonymised_on_erasure(client, staff, superuser, centre):
    intake = person(centre, "Zqxformer")
    member(intake, group_of(centre), staff, "Zqxformer")
    client.force_login(superuser)

    client.post(url(intake, "erase"))

    assert Intake.objects.get(pk=intake.pk).anonymised_at is not None
    assert find_everywhere("Zqxformer") == {}


def test_an_active_member_cannot_be_erased_until_they_leave(client, superuser, centre):
    intake = person(centre, "Zqxactive")
    Membership.objects.create(group=group_of(centre), intake=intake, seat=1)
    client.force_login(superuser)

    response = client.post(url(intake, "erase"), follow=True)

    assert "avslutt medlemskapet" in response.content.decode().lower()
    assert Intake.objects.get(pk=intake.pk).name.endswith("Zqxactive")


def test_the_plain_delete_page_leads_to_erasure(staff_client, marked):
    response = staff_client.get(url(marked, "delete"))
    assert response.status_code == 302
    assert response.url == url(marked, "erase")


@pytest.mark.parametrize("page", ["export", "erase"])
def test_another_centres_staff_get_nothing(other_staff_client, other_centre_staff, marked, page):
    assert other_staff_client.get(url(marked, page)).status_code == 404
    assert other_staff_client.post(url(marked, page)).status_code == 404
    assert Intake.objects.get(pk=marked.pk).name.endswith("Zqxright")
    assert not AccessEntry.objects.filter(actor=other_centre_staff).exists()


@pytest.mark.parametrize("page", ["export", "erase"])
def test_anonymous_visitors_are_sent_to_the_login(client, marked, page):
    response = client.post(url(marked, page))
    assert response.status_code == 302
    assert "/login/" in response.url
    assert Intake.objects.filter(pk=marked.pk).exists()


def test_the_erasure_service_refuses_another_centres_staff(other_centre_staff, marked):
    with pytest.raises(PermissionDenied):
        rights.erase_person(intake=marked, actor=other_centre_staff)
    assert Intake.objects.filter(pk=marked.pk).exists()


# --- The command, for requests by letter -----------------------------------------------


def erase_command(*args):
    out = StringIO()
    call_command("erase_person", *args, stdout=out)
    return out.getvalue()


def test_the_command_asks_then_a_colleague_confirms(staff, colleague, marked):
    reference = marked.reference

    asked = erase_command(reference, "--by", staff.username, "--reason", "Brev 1. des.")

    assert "Another staff member of the centre" in asked
    assert Intake.objects.filter(pk=marked.pk).exists()
    with pytest.raises(CommandError, match="Du ba om denne slettingen selv"):
        erase_command(reference, "--by", staff.username)

    done = erase_command(reference.replace("-", "").lower(), "--by", colleague.username)

    assert f"Erased {reference}: deleted" in done
    assert not Intake.objects.filter(pk=marked.pk).exists()
    assert find_everywhere("Zqxright") == {}
    assert [entry.page for entry in AccessEntry.objects.order_by("at", "pk")][-2:] == [
        "command",
        "command",
    ]


def test_the_command_erases_at_once_for_a_superuser(superuser, marked):
    done = erase_command(marked.reference, "--by", superuser.username)

    assert "Erased" in done
    assert not Intake.objects.filter(pk=marked.pk).exists()


def test_the_command_refuses_unknown_references_users_and_other_centres(marked, other_centre_staff):
    with pytest.raises(CommandError, match="No interest form"):
        erase_command("AAA-AAA", "--by", other_centre_staff.username)
    with pytest.raises(CommandError, match="No active staff user"):
        erase_command(marked.reference, "--by", "nobody")
    with pytest.raises(CommandError, match="may not handle"):
        erase_command(marked.reference, "--by", other_centre_staff.username)
    assert Intake.objects.filter(pk=marked.pk).exists()


def test_erasure_keeps_no_reason_naming_the_person(staff, colleague, marked):
    rights.erase_person(intake=marked, actor=staff, reason="Zqxright ringte 2. desember")
    rights.erase_person(intake=marked, actor=colleague)

    assert find_everywhere("Zqxright") == {}
    assert AccessEntry.objects.filter(reason__contains="ringte 2. desember").count() == 2


def test_the_erasure_refuses_what_does_not_exist(staff, marked):
    Intake.objects.filter(pk=marked.pk).update(name="x")
    gone = Intake(pk=marked.pk + 1000, centre_id=marked.centre_id)
    with pytest.raises(IntakeError):
        rights.erase_person(intake=gone, actor=staff)
