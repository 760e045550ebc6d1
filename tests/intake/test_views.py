"""The public interest form and its receipt, through HTTP."""

import threading
import time
import uuid

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import cache
from django.db import DatabaseError, connection, connections
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from intake import services, views
from intake.consent import CONSENT_VERSION
from intake.models import Intake, IntakeError, Slot, StatusChange, Theme
from selvhjelp.models import OutboundMessage
from tests.factories import CentreFactory, intake_form_data

pytestmark = pytest.mark.django_db

URL = "/meld-interesse/"
DONE = "/meld-interesse/takk/"


def post(client, data, **extra):
    return client.post(URL, data, **extra)


def input_tag(html, input_id):
    """The <input ...> element with this id."""
    position = html.index(f'id="{input_id}"')
    return html[html.rindex("<input", 0, position) : html.index(">", position) + 1]


# --- Showing the form -----------------------------------------------------------


def test_it_shows_an_empty_form_in_norwegian(client, centre):
    response = client.get(URL)
    html = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Meld interesse for en selvhjelpsgruppe</h1>" in html
    assert 'name="consent"' in html
    assert "error-summary" not in html


def test_it_is_never_cached(client, centre):
    response = client.get(URL)

    assert "no-store" in response["Cache-Control"]


def test_it_links_the_consent_to_the_privacy_page(client, centre):
    html = client.get(URL).content.decode()

    assert 'href="/personvern/"' in html
    assert "Jeg samtykker i at senteret jeg har valgt" in html


def test_the_consent_box_is_not_ticked(client, centre):
    html = client.get(URL).content.decode()
    consent = html[html.index('name="consent"') - 200 : html.index('name="consent"') + 200]

    assert "checked" not in consent


def test_it_hides_the_honeypot_from_people_and_screen_readers(client, centre):
    html = client.get(URL).content.decode()
    honeypot = html[html.index('class="honeypot"') :][:400]

    assert 'aria-hidden="true"' in honeypot
    assert 'tabindex="-1"' in honeypot
    assert 'autocomplete="off"' in honeypot


def test_it_preselects_the_centre_from_the_address(client, centre, other_centre):
    html = client.get(f"{URL}{other_centre.slug}/").content.decode()

    assert f'<option value="{other_centre.pk}" selected>' in html


def test_unknown_centre_in_the_address_is_404(client, centre):
    assert client.get(f"{URL}finnes-ikke/").status_code == 404


def test_inactive_centre_in_the_address_is_404(client):
    closed = CentreFactory(slug="nedlagt", active=False)

    assert client.get(f"{URL}{closed.slug}/").status_code == 404


def test_it_says_so_when_no_centre_takes_forms(client):
    html = client.get(URL).content.decode()

    assert "Ingen sentre tar imot interessemeldinger" in html
    assert '<form method="post" novalidate' not in html


@pytest.mark.parametrize("count", [1, 25])
def test_the_form_costs_the_same_queries_however_many_centres(
    client, centre, count, django_assert_num_queries
):
    CentreFactory.create_batch(count)

    # The centres (once: the page asks whether there are any, then lists them),
    # the themes, the times of week; the next view takes none (test_query_budgets).
    with django_assert_num_queries(3):
        client.get(URL)


def test_it_refuses_other_methods(client, centre):
    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405


# --- A valid form ---------------------------------------------------------------------


def test_valid_form_saves_the_intake_and_redirects_to_the_receipt(client, intake_form_data):
    response = post(client, intake_form_data)

    assert response.status_code == 302
    assert response["Location"] == DONE
    intake = Intake.objects.get()
    assert intake.name == "Kari Nordmann"
    assert str(intake.phone) == "+4791234567"
    assert intake.email == "kari@example.org"
    assert intake.birth_year == 1985
    assert intake.confirmed_adult
    assert (intake.consent_version, intake.consent_language) == (CONSENT_VERSION, "nb")
    assert list(intake.themes.all()) == [Theme.objects.get(is_other=True)]
    assert list(intake.availability.all()) == [Slot.objects.get(weekday=0, part="evening")]
    assert intake.status == Intake.Status.NEW
    assert intake.submission_key == uuid.UUID(intake_form_data["submission_key"])


def test_it_stores_the_consent_version_and_time(client, intake_form_data):
    post(client, intake_form_data)

    intake = Intake.objects.get()
    assert intake.consent_version == CONSENT_VERSION
    assert intake.consent_given_at is not None


def test_it_writes_the_status_history_and_the_neutral_confirmation(client, intake_form_data):
    post(client, {**intake_form_data, "about": "Jeg har angst og sover dårlig."})

    intake = Intake.objects.get()
    message = OutboundMessage.objects.get()
    assert [c.to_status for c in StatusChange.objects.filter(intake=intake)] == ["new"]
    assert message.about == intake
    assert message.recipient == "+4791234567"
    assert message.context["reference"] == intake.reference
    assert "angst" not in str(message.context)
    assert "Noe annet" not in str(message.context)


def test_a_failing_outbox_write_leaves_no_intake(client, intake_form_data, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("the outbox table is gone")

    monkeypatch.setattr(services, "queue_message", broken)

    with pytest.raises(DatabaseError):
        post(client, intake_form_data)

    assert not Intake.objects.exists()
    assert not StatusChange.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_domain_error_is_shown_as_a_form_error(client, intake_form_data, monkeypatch):
    def refuse(**kwargs):
        raise IntakeError("Dette senteret tar ikke imot nye interessemeldinger nå.")

    monkeypatch.setattr(views, "submit_intake", refuse)

    response = post(client, intake_form_data)
    html = response.content.decode()

    assert response.status_code == 200
    assert 'class="ds-error-summary"' in html
    assert "Dette senteret tar ikke imot nye interessemeldinger nå." in html
    assert 'value="Kari Nordmann"' in html


def test_the_form_for_a_centre_names_it_in_the_header(client, centre, other_centre):
    html = client.get(f"{URL}{other_centre.slug}/").content.decode()
    header = html[html.index("<header") : html.index("</header>")]

    assert other_centre.name in header
    plain = client.get(URL).content.decode()
    assert other_centre.name not in plain[plain.index("<header") : plain.index("</header>")]


def test_it_accepts_a_form_for_the_preselected_centre(client, centre, other_centre):
    data = intake_form_data(other_centre)

    response = client.post(f"{URL}{other_centre.slug}/", data)

    assert response.status_code == 302
    assert Intake.objects.get().centre == other_centre


@pytest.mark.parametrize(
    "name", ["Åse Ærlig-Øvrebø", "محمد علي", "Zoë 🌻 Ünal", "Nguyễn Thị Ánh", "O'Brien; DROP TABLE"]
)
def test_unicode_and_odd_names_are_saved_exactly(client, intake_form_data, name):
    post(client, {**intake_form_data, "name": name})

    assert Intake.objects.get().name == name


# --- The receipt ----------------------------------------------------------------------


def test_receipt_shows_the_reference_and_when_the_centre_calls(client, centre, intake_form_data):
    centre.usual_response_days = 3
    centre.save()

    response = post(client, {**intake_form_data, "contact_by": "phone"}, follow=True)
    html = response.content.decode()

    assert response.redirect_chain == [(DONE, 302)]
    assert Intake.objects.get().reference in html
    assert "Arna frivilligsentral ringer deg vanligvis innen 3 virkedager" in html


@pytest.mark.parametrize(
    ("contact_by", "promise"),
    [
        ("sms", "Arna frivilligsentral sender deg vanligvis en SMS innen 3 virkedager"),
        ("email", "Arna frivilligsentral sender deg vanligvis en e-post innen 3 virkedager"),
    ],
)
def test_receipt_promises_the_channel_the_person_chose_not_a_call(
    client, centre, intake_form_data, contact_by, promise
):
    centre.usual_response_days = 3
    centre.save()

    html = post(client, {**intake_form_data, "contact_by": contact_by}, follow=True).content
    html = html.decode()

    assert promise in html
    assert "ringer" not in html


def test_receipt_shows_no_personal_details(client, intake_form_data):
    html = post(client, intake_form_data, follow=True).content.decode()

    assert "Kari" not in html
    assert "912 34 567" not in html and "+4791234567" not in html
    assert "kari@example.org" not in html


def test_reloading_the_receipt_shows_it_again_without_saving_again(client, intake_form_data):
    post(client, intake_form_data)
    reference = Intake.objects.get().reference

    first = client.get(DONE).content.decode()
    second = client.get(DONE).content.decode()

    assert reference in first and reference in second
    assert Intake.objects.count() == 1


def test_a_stranger_with_the_receipt_address_sees_no_receipt(client, intake_form_data):
    post(client, intake_form_data)
    reference = Intake.objects.get().reference

    html = Client().get(DONE).content.decode()

    assert reference not in html
    assert "ingen kvittering" in html


def test_the_receipt_cookie_holds_only_the_reference_the_centre_and_the_channel(
    client, centre, intake_form_data
):
    response = post(client, {**intake_form_data, "contact_by": "sms"})

    cookie = response.cookies[views.RECEIPT_COOKIE]
    receipt = signing.loads(cookie.value, salt=views.RECEIPT_SALT)
    assert receipt == {"r": Intake.objects.get().reference, "c": centre.pk, "b": "sms", "s": False}
    assert cookie["httponly"] and cookie["path"] == DONE
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


def test_a_forged_receipt_cookie_shows_no_receipt(client, intake_form_data):
    post(client, intake_form_data)
    reference = Intake.objects.get().reference
    client.cookies[views.RECEIPT_COOKIE] = signing.dumps(
        {"r": reference, "c": 1, "s": False}, salt="another-salt"
    )

    assert reference not in client.get(DONE).content.decode()


def test_receipt_is_never_cached(client):
    assert "no-store" in client.get(DONE)["Cache-Control"]


# --- Double submission ------------------------------------------------------------------


def test_submitting_the_same_form_twice_saves_one_intake(client, intake_form_data):
    first = post(client, intake_form_data)
    second = post(client, intake_form_data)

    assert first["Location"] == second["Location"] == DONE
    assert Intake.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def test_a_retried_request_from_another_connection_gets_the_same_receipt(client, intake_form_data):
    post(client, intake_form_data)
    retry = Client()

    html = retry.post(URL, intake_form_data, follow=True).content.decode()

    assert Intake.objects.get().reference in html
    assert Intake.objects.count() == 1


def test_two_forms_shown_separately_save_two_intakes(client, intake_form_data):
    post(client, intake_form_data)
    post(
        client,
        {**intake_form_data, "submission_key": str(uuid.uuid4()), "name": "Per Nordmann"},
    )

    assert Intake.objects.count() == 2


def test_the_form_shown_after_errors_keeps_its_submission_key(client, intake_form_data):
    html = post(client, {**intake_form_data, "name": ""}).content.decode()

    assert f'value="{intake_form_data["submission_key"]}"' in html


@pytest.mark.django_db(transaction=True)
def test_a_double_click_in_two_parallel_requests_saves_one_intake(
    postgres, form_choices, centre, monkeypatch
):
    """The second request's insert waits on the first's unique key, then finds its intake."""
    data = intake_form_data(centre)
    first_inserted, release_first = threading.Event(), threading.Event()
    queue = services._queue_confirmation

    def slow_first(intake):
        if not first_inserted.is_set():
            first_inserted.set()
            release_first.wait(10)
        queue(intake)

    monkeypatch.setattr(services, "_queue_confirmation", slow_first)
    responses = {}

    def click(name):
        try:
            responses[name] = Client().post(URL, data)
        finally:
            connections.close_all()

    first = threading.Thread(target=click, args=("first",))
    first.start()
    assert first_inserted.wait(10)
    second = threading.Thread(target=click, args=("second",))
    second.start()
    _wait_until_a_query_waits_for_a_lock()
    release_first.set()
    first.join(10)
    second.join(10)

    assert responses["first"].status_code == responses["second"].status_code == 302
    assert Intake.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def _wait_until_a_query_waits_for_a_lock():
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    pytest.fail("the second request never waited for the first one's row")


# --- Errors -----------------------------------------------------------------------------


def test_errors_are_summarised_at_the_top_with_links_to_the_fields(client, intake_form_data):
    data = {**intake_form_data, "name": "", "birth_year": "2020", "consent": None}
    data = {key: value for key, value in data.items() if value is not None}

    html = post(client, data).content.decode()
    start = html.index('class="ds-error-summary"')
    summary = html[start : html.index("</ul>", start)]

    assert 'role="alert"' in summary
    assert "Noe må rettes før du kan sende skjemaet" in summary
    assert 'href="#id_name" data-error-link>Skriv navnet ditt.</a>' in summary
    assert 'href="#id_birth_year"' in summary
    assert 'href="#id_consent"' in summary
    assert (
        summary.index("#id_name") < summary.index("#id_birth_year") < summary.index("#id_consent")
    )


def test_page_title_starts_with_error_when_the_form_has_errors(client, intake_form_data):
    html = post(client, {**intake_form_data, "name": ""}).content.decode()

    assert "<title>Feil: Meld interesse" in html


def test_each_field_error_is_next_to_its_field_and_announced(client, intake_form_data):
    html = post(client, {**intake_form_data, "name": ""}).content.decode()

    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_name_error"' in html
    assert 'id="id_name_error"' in html


def test_group_errors_are_described_on_the_fieldset(client, intake_form_data):
    html = post(client, {**intake_form_data, "format": "teleport"}).content.decode()

    assert 'aria-describedby="id_format_error"' in html
    assert 'id="id_format_error"' in html


def test_nothing_typed_is_lost_on_an_error(client, intake_form_data):
    evening = Slot.objects.get(weekday=2, part="evening")
    data = {
        **intake_form_data,
        "consent": "",
        "name": "Åse Ærlig",
        "about": "Linje én\r\nLinje to",
        "availability": [str(evening.pk)],
        "gender": "man",
        "format": "physical",
        "email": "ase@example.org",
    }

    html = post(client, data).content.decode()

    assert 'value="Åse Ærlig"' in html
    assert "Linje én\r\nLinje to</textarea>" in html
    assert 'value="ase@example.org"' in html
    assert "checked" in input_tag(html, "id_availability_2_evening")
    assert "checked" in input_tag(html, "id_gender_1")
    assert "checked" in input_tag(html, "id_format_0")
    assert "checked" not in input_tag(html, "id_format_2")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birth_year": "2015"}, "18 år eller eldre"),
        ({"confirmed_adult": ""}, "Bekreft at du er 18 år eller eldre"),
        ({"consent": ""}, "samtykke"),
        ({"phone": "", "email": ""}, "eller e-postadressen din"),
        ({"phone": "12"}, "norsk mobilnummer"),
        ({"email": "kari@", "contact_by": "phone"}, "e-postadresse som ligner"),
        ({"about": "x" * 1001}, "Du har skrevet 1001 tegn"),
        ({"applying_for_self": ""}, "for deg selv"),
    ],
)
def test_invalid_forms_are_refused_with_a_norwegian_message(
    client, intake_form_data, changes, message
):
    response = post(client, {**intake_form_data, **changes})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Intake.objects.exists()


HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE intake_intake; --",
    "{{ settings.SECRET_KEY }}",
    "\u202eevil\u202c",
    "שָׁלוֹם עֲלֵיכֶם",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_shown_escaped_on_the_form(client, intake_form_data, text):
    data = {**intake_form_data, "name": text, "about": text, "email": text}

    html = post(client, data).content.decode()

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "test-only-secret" not in html
    if "<" in text:
        assert "&lt;" in html


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_saved_as_typed(client, intake_form_data, text):
    post(client, {**intake_form_data, "name": text, "about": text})

    intake = Intake.objects.get()
    assert intake.name == text.strip()
    assert intake.about == text.strip()


def test_hostile_centre_details_are_escaped_on_the_form(client):
    CentreFactory(name="<b>Senter</b>", area="<script>x()</script>")

    html = client.get(URL).content.decode()

    assert "<script>x()" not in html and "<b>Senter" not in html
    assert "&lt;b&gt;Senter&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"centre": "1"},
        {"name": "\x00" * 10, "birth_year": "\x00", "centre": "\x00", "themes": "\x00"},
        {"name": "x" * 100_000, "about": "y" * 100_000, "email": "z" * 100_000},
        {"phone": "9" * 100_000, "birth_year": "9" * 100_000},
        {"centre": ["1", "2", "abc"], "name": ["a", "b"], "consent": ["on", "off"]},
        {"themes": ["1", "1", "-1", "1e9", "99999999999999999999"], "availability": "[1,2]"},
        {"submission_key": ["x", "y"], "website": ["", "spam"]},
    ],
)
def test_odd_posts_never_crash(client, centre, data):
    response = post(client, data)

    assert response.status_code == 200
    assert not Intake.objects.exists()


def test_a_json_body_is_treated_as_an_empty_form(client, centre):
    response = client.post(URL, '{"name": "Kari"}', content_type="application/json")

    assert response.status_code == 200
    assert "Skriv navnet ditt." in response.content.decode()


def test_a_100kb_free_text_is_refused_and_kept(client, intake_form_data):
    text = "æ" * 100_000

    response = post(client, {**intake_form_data, "about": text})
    html = response.content.decode()

    assert response.status_code == 200
    assert "Du har skrevet 100000 tegn" in html
    assert text in html


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        keys=st.sampled_from(
            [
                "centre",
                "name",
                "birth_year",
                "confirmed_adult",
                "gender",
                "phone",
                "email",
                "contact_by",
                "themes",
                "about",
                "format",
                "kind",
                "availability",
                "applying_for_self",
                "consent",
                "submission_key",
                "website",
            ]
        )
        | st.text(max_size=20),
        values=st.lists(
            st.one_of(
                st.text(max_size=60),
                st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000),
                st.integers().map(str),
                st.sampled_from(
                    ["on", "1", "1985", "2015", "91234567", "a@b.no", "digital", "sms", ""]
                ),
                st.uuids().map(str),
            ),
            min_size=1,
            max_size=3,
        ),
        max_size=18,
    )
)
def test_generated_posts_never_give_a_server_error(client, centre, data):
    cache.clear()
    response = post(client, data)

    # 400 is Django's own answer to a body it cannot parse (a key with a quote...).
    assert response.status_code in (200, 302, 400)


# --- Spam ---------------------------------------------------------------------------------


def test_a_filled_honeypot_shows_the_normal_receipt_and_saves_nothing(client, intake_form_data):
    response = post(client, {**intake_form_data, "website": "https://spam.example"}, follow=True)
    html = response.content.decode()

    assert response.redirect_chain == [(DONE, 302)]
    assert "Takk, vi har fått skjemaet ditt" in html
    assert "data-reference>" in html
    assert not Intake.objects.exists()
    assert not OutboundMessage.objects.exists()


def _accepted(n, client, centre):
    for number in range(n):
        # Other people: the same answers twice would be the same form.
        data = intake_form_data(centre, submission_key=str(uuid.uuid4()), name=f"Person {number}")
        assert client.post(URL, data).status_code == 302


def test_the_sixth_form_in_an_hour_from_one_address_is_refused_kindly(client, centre, settings):
    settings.INTAKE_RATE_LIMIT = 5
    _accepted(5, client, centre)

    response = post(client, intake_form_data(centre, submission_key=str(uuid.uuid4())))
    html = response.content.decode()

    assert response.status_code == 429
    assert "For mange skjemaer fra denne tilkoblingen" in html
    assert 'value="Kari Nordmann"' in html  # nothing typed is lost
    assert Intake.objects.count() == 5


def test_forms_with_errors_do_not_count_towards_the_limit(client, centre, settings):
    settings.INTAKE_RATE_LIMIT = 2
    for _ in range(5):
        post(client, intake_form_data(centre, name=""))

    _accepted(2, client, centre)


def test_a_retried_submission_is_not_counted_twice(client, centre, settings):
    settings.INTAKE_RATE_LIMIT = 1
    data = intake_form_data(centre)

    assert post(client, data).status_code == 302
    assert post(client, data).status_code == 302
    assert Intake.objects.count() == 1


def test_another_address_has_its_own_limit(client, centre, settings):
    settings.INTAKE_RATE_LIMIT = 1
    _accepted(1, client, centre)

    other = Client(REMOTE_ADDR="192.0.2.77")
    response = other.post(URL, intake_form_data(centre, submission_key=str(uuid.uuid4())))

    assert response.status_code == 302


def test_the_limit_counts_again_after_the_period(client, centre, settings):
    settings.INTAKE_RATE_LIMIT = 1
    _accepted(1, client, centre)
    cache.clear()  # what the counter's expiry does after INTAKE_RATE_LIMIT_PERIOD

    _accepted(1, client, centre)


def test_honeypot_hits_count_towards_the_limit(client, centre, settings):
    settings.INTAKE_RATE_LIMIT = 1
    post(client, intake_form_data(centre, website="spam"))

    response = post(client, intake_form_data(centre, submission_key=str(uuid.uuid4())))

    assert response.status_code == 429


def test_a_form_is_accepted_when_the_cache_is_down(client, centre, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    response = post(client, intake_form_data(centre))

    assert response.status_code == 302
    assert Intake.objects.count() == 1


def test_the_limit_is_shared_through_redis(client, centre, settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4()}",
        }
    }
    settings.INTAKE_RATE_LIMIT = 1
    _accepted(1, client, centre)

    response = Client().post(URL, intake_form_data(centre, submission_key=str(uuid.uuid4())))

    assert response.status_code == 429
