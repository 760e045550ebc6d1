"""Logging a call and marking the form contacted are one step; nothing typed is dropped."""

import pytest

from intake import services
from intake.models import ContactAttempt, Intake
from tests.intake.test_admin_change import change_url, form_data, new_attempt_prefix

pytestmark = pytest.mark.django_db


def log(client, intake, kind="answered", note="Avtalt ny samtale", **more):
    data = form_data(client, intake)
    prefix = new_attempt_prefix(data)
    data.update({f"{prefix}-0-kind": kind, f"{prefix}-0-note": note})
    for name, value in more.items():
        if value is None:
            data.pop(f"{prefix}-0-{name}", None)
        else:
            data[f"{prefix}-0-{name}"] = value
    return client.post(change_url(intake), data)


def test_a_new_form_offers_mark_contacted_ticked(staff_client, intake):
    data = form_data(staff_client, intake)
    assert data[f"{new_attempt_prefix(data)}-0-mark_contacted"] == "on"


def test_logging_a_call_marks_a_new_form_contacted_and_keeps_the_note(staff_client, staff, intake):
    assert log(staff_client, intake).status_code == 302

    intake.refresh_from_db()
    assert intake.status == Intake.Status.CONTACTED
    attempt = intake.contact_attempts.get()
    assert (attempt.kind, attempt.note, attempt.by) == ("answered", "Avtalt ny samtale", staff)
    assert intake.status_changes.filter(to_status="contacted", changed_by=staff).exists()


def test_unticked_only_the_call_is_logged(staff_client, intake):
    assert log(staff_client, intake, kind="no_answer", mark_contacted=None).status_code == 302

    intake.refresh_from_db()
    assert intake.status == Intake.Status.NEW
    assert intake.contact_attempts.get().kind == "no_answer"


def test_the_ticked_box_alone_logs_nothing(staff_client, intake):
    assert staff_client.post(change_url(intake), form_data(staff_client, intake)).status_code == 302
    intake.refresh_from_db()
    assert intake.status == Intake.Status.NEW and not ContactAttempt.objects.exists()


def test_a_note_without_what_happened_is_kept_on_the_page(staff_client, intake):
    response = log(staff_client, intake, kind="", note="Ringte tilbake")

    assert response.status_code == 200
    assert "Ringte tilbake" in response.content.decode()
    assert not ContactAttempt.objects.exists()


def test_a_contacted_form_has_no_box(staff_client, intake, staff):
    services.change_intake_status(intake=intake, to="contacted", actor=staff)
    data = form_data(staff_client, intake)
    assert f"{new_attempt_prefix(data)}-0-mark_contacted" not in data


def test_the_service_does_both_or_neither(intake, other_centre_staff, staff):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.log_contact(
            intake=intake, kind="answered", actor=other_centre_staff, mark_contacted=True
        )
    intake.refresh_from_db()
    assert intake.status == Intake.Status.NEW and not ContactAttempt.objects.exists()


def test_admin_pages_warn_before_leaving_typed_text(staff_client, intake):
    html = staff_client.get(change_url(intake)).content.decode()
    assert "js/keep-typed.js" in html
