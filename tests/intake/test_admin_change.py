"""The interest form's change page: readable answers, history, notes, corrections."""

from html.parser import HTMLParser

import pytest

from intake.models import ContactAttempt, Intake, Slot, StatusChange, Theme
from tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db

Status = Intake.Status


def change_url(intake):
    return f"/admin/intake/intake/{intake.pk}/change/"


class FormReader(HTMLParser):
    """The fields a browser would send from the form with the given id."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input" and attrs.get("type") not in {"submit", "button"}:
            if attrs.get("type") != "checkbox":
                self.data[attrs["name"]] = attrs.get("value", "")
            elif "checked" in attrs:
                self.data[attrs["name"]] = attrs.get("value", "on")
        elif tag == "select":
            self.select = attrs["name"]
            self.data.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.data[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data.lstrip("\n")


def form_data(client, intake):
    reader = FormReader("intake_form")
    reader.feed(client.get(change_url(intake)).content.decode())
    return reader.data


def new_attempt_prefix(data):
    """The prefix of the empty 'log a contact attempt' form."""
    (name,) = [k for k in data if k.endswith("-0-kind")]
    return name.removesuffix("-0-kind")


# --- Reading ------------------------------------------------------------------


def test_change_page_shows_every_answer_readably(staff_client, centre):
    intake = IntakeFactory(
        centre=centre,
        name="Åshild Sæther",
        email="ashild@example.org",
        phone="+4791234567",
        birth_year=1970,
        gender=Intake.Gender.WOMAN,
        format=Intake.Format.PHYSICAL,
        kind=Intake.Kind.ACROSS,
        about="Jeg har mistet en jeg var glad i.\nSavner noen å snakke med.",
        themes=[Theme.objects.get(name="Sorg og tap"), Theme.objects.get(name="Ensomhet")],
        availability=[
            Slot.objects.get(weekday=0, part=Slot.Part.EVENING),
            Slot.objects.get(weekday=0, part=Slot.Part.MORNING),
            Slot.objects.get(weekday=2, part=Slot.Part.AFTERNOON),
        ],
    )

    html = staff_client.get(change_url(intake)).content.decode()

    assert "<li>Sorg og tap</li>" in html and "<li>Ensomhet</li>" in html
    assert "<li>mandag: formiddag, kveld</li>" in html
    assert "<li>onsdag: ettermiddag</li>" in html
    assert "Jeg har mistet en jeg var glad i.<br>Savner noen å snakke med." in html
    assert "Med egne ord (helseopplysninger)" in html
    assert "Helseopplysninger. Bare senterets ansatte får lese dette." in html
    assert "1970 (fyller" in html
    assert intake.reference in html
    assert intake.consent_version in html


def test_status_history_shows_who_when_from_to_and_why(staff_client, staff, intake):
    staff.first_name, staff.last_name = "Anne", "Arnesen"
    staff.save()
    intake.change_status(Status.CLOSED, by=staff, reason="Flyttet fra kommunen")

    html = staff_client.get(change_url(intake)).content.decode()

    history = html[html.index("Statushistorikk") :]
    for text in ["Anne Arnesen", "Ny", "Avsluttet", "Flyttet fra kommunen"]:
        assert text in history


def test_contact_log_is_shown_but_not_editable(staff_client, staff, intake):
    ContactAttempt.objects.create(
        intake=intake, kind=ContactAttempt.Kind.NO_ANSWER, note="Prøv etter kl. 16", by=staff
    )

    response = staff_client.get(change_url(intake))
    html = response.content.decode()

    assert "Ringte, ikke svar" in html and "Prøv etter kl. 16" in html
    data = form_data(staff_client, intake)
    assert not any(value == "Prøv etter kl. 16" for value in data.values())


def test_markup_in_name_and_about_is_escaped(staff_client, centre):
    intake = IntakeFactory(
        centre=centre,
        name="<b>Fet</b> Nordmann",
        about='<img src=x onerror="alert(1)"> & <script>alert(2)</script>',
    )

    html = staff_client.get(change_url(intake)).content.decode()

    assert "<b>Fet</b>" not in html
    assert "&lt;b&gt;Fet&lt;/b&gt; Nordmann" in html
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;script&gt;" in html


def test_add_page_is_not_offered(staff_client):
    assert staff_client.get("/admin/intake/intake/add/").status_code == 403


# --- Saving -------------------------------------------------------------------


def test_staff_correct_contact_details(staff_client, intake):
    data = form_data(staff_client, intake)
    data.update(name="Kari Nordmann Berg", phone="912 34 567", contact_by="sms")

    response = staff_client.post(change_url(intake), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    intake.refresh_from_db()
    assert intake.name == "Kari Nordmann Berg"
    assert str(intake.phone) == "+4791234567"
    assert intake.contact_by == "sms"


def test_system_fields_cannot_be_changed_through_the_form(staff_client, intake):
    original = Intake.objects.get(pk=intake.pk)
    data = form_data(staff_client, intake)
    data.update(
        reference="AAA-AAA",
        status="placed",
        status_changed_at="2020-01-01 10:00",
        consent_version="forfalsket",
        consent_given_at="2020-01-01 10:00",
        submission_key="00000000-0000-0000-0000-000000000000",
        created_at="2020-01-01 10:00",
        about="Overskrevet",
        birth_year="2015",
    )

    assert staff_client.post(change_url(intake), data).status_code == 302

    intake.refresh_from_db()
    for field in [
        "reference",
        "status",
        "status_changed_at",
        "consent_version",
        "consent_given_at",
        "submission_key",
        "created_at",
        "about",
        "birth_year",
    ]:
        assert getattr(intake, field) == getattr(original, field), field
    assert not StatusChange.objects.filter(intake=intake).exists()


def test_removing_every_contact_channel_is_refused_with_a_message(staff_client, intake):
    data = form_data(staff_client, intake)
    data.update(email="", phone="")

    response = staff_client.post(change_url(intake), data)

    assert response.status_code == 200
    assert "Oppgi e-postadresse eller mobilnummer" in response.content.decode()
    intake.refresh_from_db()
    assert intake.email


def test_malformed_phone_number_gets_an_error_not_a_500(staff_client, intake):
    data = form_data(staff_client, intake)
    data.update(phone="12<script>")

    response = staff_client.post(change_url(intake), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html
    assert "12<script>" not in html and 'value="12&lt;script&gt;"' in html


def test_staff_log_a_contact_attempt_in_their_own_name(staff_client, staff, superuser, intake):
    data = form_data(staff_client, intake)
    prefix = new_attempt_prefix(data)
    data.update(
        {
            f"{prefix}-0-kind": "message",
            f"{prefix}-0-note": "Ba henne ringe tilbake",
            # A crafted request cannot choose who or when.
            f"{prefix}-0-by": str(superuser.pk),
            f"{prefix}-0-at": "2020-01-01 10:00",
        }
    )

    assert staff_client.post(change_url(intake), data).status_code == 302

    attempt = intake.contact_attempts.get()
    assert (attempt.kind, attempt.note, attempt.by) == ("message", "Ba henne ringe tilbake", staff)
    assert attempt.at.year != 2020


def test_internal_note_without_text_is_refused_next_to_the_field(staff_client, intake):
    data = form_data(staff_client, intake)
    data[f"{new_attempt_prefix(data)}-0-kind"] = "note"

    response = staff_client.post(change_url(intake), data)

    assert response.status_code == 200
    assert "Skriv notatet før du lagrer." in response.content.decode()
    assert not ContactAttempt.objects.exists()


def test_saving_without_a_new_attempt_logs_nothing(staff_client, intake):
    assert staff_client.post(change_url(intake), form_data(staff_client, intake)).status_code == 302

    assert not ContactAttempt.objects.exists()


def test_saved_message_escapes_markup_in_the_name(staff_client, centre):
    intake = IntakeFactory(centre=centre, name="<i>x</i> y")

    response = staff_client.post(change_url(intake), form_data(staff_client, intake), follow=True)

    html = response.content.decode()
    assert "<i>x</i>" not in html
    assert "&lt;i&gt;x&lt;/i&gt; y" in html
