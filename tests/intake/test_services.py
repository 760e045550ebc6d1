import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from intake import services
from intake.models import ContactAttempt, Intake, IntakeError, StatusChange, Theme
from tests.factories import CentreFactory, IntakeFactory

pytestmark = pytest.mark.django_db

Status = Intake.Status


# --- change_intake_status -----------------------------------------------------


def test_status_change_records_the_actor_and_reason(intake, staff):
    change = services.change_intake_status(
        intake=intake, to=Status.CONTACTED, actor=staff, reason="Ringte i dag"
    )

    assert intake.status == Status.CONTACTED  # the caller's object is refreshed
    assert intake.status_changes.get() == change
    assert change.changed_by == staff
    assert change.reason == "Ringte i dag"


@pytest.mark.parametrize("to", [Status.WITHDRAWN, Status.CLOSED])
@pytest.mark.parametrize("reason", ["", "   "])
def test_withdrawing_or_closing_needs_a_reason(intake, staff, to, reason):
    with pytest.raises(IntakeError, match="begrunnelse"):
        services.change_intake_status(intake=intake, to=to, actor=staff, reason=reason)

    intake.refresh_from_db()
    assert intake.status == Status.NEW


def test_reason_longer_than_the_history_keeps_is_refused(intake, staff):
    with pytest.raises(IntakeError):
        services.change_intake_status(
            intake=intake, to=Status.CLOSED, actor=staff, reason="x" * 301
        )

    assert not StatusChange.objects.exists()


def test_unknown_status_is_refused_with_a_message(intake, staff):
    with pytest.raises(IntakeError, match="Ukjent status"):
        services.change_intake_status(intake=intake, to="deleted", actor=staff)


def test_refused_transition_writes_no_history(intake, staff):
    services.change_intake_status(intake=intake, to=Status.CLOSED, actor=staff, reason="Flyttet")

    with pytest.raises(IntakeError):
        services.change_intake_status(intake=intake, to=Status.WAITING, actor=staff)

    assert [c.to_status for c in intake.status_changes.all()] == [Status.CLOSED]


def test_status_change_decides_on_the_stored_status_not_a_stale_copy(intake, staff):
    stale = Intake.objects.get(pk=intake.pk)
    services.change_intake_status(intake=intake, to=Status.CLOSED, actor=staff, reason="Flyttet")

    with pytest.raises(IntakeError):
        services.change_intake_status(intake=stale, to=Status.CONTACTED, actor=staff)

    intake.refresh_from_db()
    assert intake.status == Status.CLOSED


def test_staff_of_another_centre_cannot_change_the_status(intake, other_centre_staff):
    with pytest.raises(PermissionDenied):
        services.change_intake_status(intake=intake, to=Status.CONTACTED, actor=other_centre_staff)

    intake.refresh_from_db()
    assert intake.status == Status.NEW
    assert not StatusChange.objects.exists()


def test_superuser_may_change_any_centres_intake(other_centre_intake, superuser):
    services.change_intake_status(intake=other_centre_intake, to=Status.WAITING, actor=superuser)

    assert other_centre_intake.status_changes.get().changed_by == superuser


def test_system_jobs_change_status_without_an_actor(intake):
    change = services.change_intake_status(intake=intake, to=Status.CLOSED, actor=None, reason="x")

    assert change.changed_by is None


@pytest.mark.django_db(transaction=True)
def test_status_change_waits_for_a_concurrent_change_and_then_refuses(postgres, staff, centre):
    """Two staff at once: the second sees the first's change, not a stale row."""
    intake = IntakeFactory(centre=centre)
    errors = []

    def second_staff_member():
        try:
            services.change_intake_status(intake=intake, to=Status.CONTACTED, actor=staff)
        except IntakeError as error:
            errors.append(error)
        finally:
            connection.close()

    with transaction.atomic():
        Intake.objects.select_for_update().get(pk=intake.pk).change_status(
            Status.CONTACTED, by=staff
        )
        thread = threading.Thread(target=second_staff_member)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # blocked on the row lock until we commit
    thread.join(timeout=10)

    assert len(errors) == 1
    assert Intake.objects.get(pk=intake.pk).status_changes.count() == 1


# --- record_contact_attempt ---------------------------------------------------


def test_contact_attempt_is_written_by_the_actor_now(intake, staff):
    attempt = services.record_contact_attempt(
        intake=intake, kind=ContactAttempt.Kind.NO_ANSWER, note="Prøver igjen i morgen", actor=staff
    )

    assert attempt.by == staff
    assert attempt.intake == intake
    assert attempt.at is not None
    assert intake.contact_attempts.get().note == "Prøver igjen i morgen"


def test_internal_note_needs_text(intake, staff):
    with pytest.raises(IntakeError):
        services.record_contact_attempt(
            intake=intake, kind=ContactAttempt.Kind.NOTE, note="  ", actor=staff
        )

    assert not ContactAttempt.objects.exists()


def test_unknown_kind_of_contact_attempt_is_refused(intake, staff):
    with pytest.raises(IntakeError):
        services.record_contact_attempt(intake=intake, kind="telepathy", note="", actor=staff)


def test_too_long_note_is_refused(intake, staff):
    with pytest.raises(IntakeError):
        services.record_contact_attempt(
            intake=intake, kind=ContactAttempt.Kind.NOTE, note="x" * 1001, actor=staff
        )


def test_staff_of_another_centre_cannot_log_a_contact_attempt(intake, other_centre_staff):
    with pytest.raises(PermissionDenied):
        services.record_contact_attempt(
            intake=intake, kind=ContactAttempt.Kind.NOTE, note="Hei", actor=other_centre_staff
        )

    assert not ContactAttempt.objects.exists()


# --- update_intake_details ----------------------------------------------------


def test_details_update_saves_only_the_editable_fields(intake, staff):
    intake.name = "Kari Nordmann Berg"
    intake.status = Status.PLACED
    intake.consent_version = "forfalsket"

    services.update_intake_details(
        intake=intake, fields=["name", "status", "consent_version"], actor=staff
    )

    intake.refresh_from_db()
    assert intake.name == "Kari Nordmann Berg"
    assert intake.status == Status.NEW
    assert intake.consent_version != "forfalsket"


def test_details_update_keeps_a_contact_channel(intake, staff):
    intake.email = ""

    with pytest.raises(IntakeError):
        services.update_intake_details(intake=intake, fields=["email"], actor=staff)


def test_staff_cannot_move_an_intake_to_a_centre_they_do_not_work_for(intake, staff, other_centre):
    intake.centre = other_centre

    with pytest.raises(PermissionDenied):
        services.update_intake_details(intake=intake, fields=["centre"], actor=staff)

    intake.refresh_from_db()
    assert intake.centre != other_centre


def test_staff_of_two_centres_may_move_an_intake_between_them(intake, staff):
    second = CentreFactory(slug="asane")
    staff.staff_memberships.create(centre=second)
    intake.centre = second

    services.update_intake_details(intake=intake, fields=["centre"], actor=staff)

    intake.refresh_from_db()
    assert intake.centre == second


# --- themes -------------------------------------------------------------------


@pytest.fixture
def other_theme():
    """The "something else" theme the migration creates."""
    return Theme.objects.get(is_other=True)


def test_last_other_theme_cannot_be_hidden(other_theme):
    other_theme.active = False

    with pytest.raises(IntakeError, match="noe annet"):
        services.save_theme(theme=other_theme)

    other_theme.refresh_from_db()
    assert other_theme.active


def test_last_other_theme_cannot_lose_its_meaning(other_theme):
    other_theme.is_other = False

    with pytest.raises(IntakeError):
        services.save_theme(theme=other_theme)


def test_other_theme_can_be_hidden_when_another_takes_over(other_theme):
    Theme.objects.create(name="Annet", is_other=True)
    other_theme.active = False

    services.save_theme(theme=other_theme)

    other_theme.refresh_from_db()
    assert not other_theme.active


def test_ordinary_theme_can_be_hidden(other_theme):
    theme = Theme.objects.filter(is_other=False).first()
    theme.active = False

    services.save_theme(theme=theme)

    theme.refresh_from_db()
    assert not theme.active


def test_new_theme_is_saved():
    theme = services.save_theme(theme=Theme(name="Kronisk smerte", position=3))

    assert theme.pk is not None


def test_last_other_theme_cannot_be_deleted(other_theme):
    with pytest.raises(IntakeError):
        services.delete_theme(theme=other_theme)

    assert Theme.objects.filter(pk=other_theme.pk).exists()


def test_theme_people_have_chosen_cannot_be_deleted(centre):
    theme = Theme.objects.filter(is_other=False).first()
    IntakeFactory(centre=centre, themes=[theme])

    with pytest.raises(IntakeError, match="vises i skjemaet"):
        services.delete_theme(theme=theme)

    assert Theme.objects.filter(pk=theme.pk).exists()


def test_unused_theme_is_deleted():
    theme = Theme.objects.create(name="Midlertidig")

    services.delete_theme(theme=theme)

    assert not Theme.objects.filter(pk=theme.pk).exists()
