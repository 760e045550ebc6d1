"""While PostgreSQL is unreachable: 503 with Retry-After, and the form keeps what was typed.

The database "goes away" for real: the connection is closed and pointed at a
port where nothing listens, so every query fails to connect, as when the
server is down.
"""

import socket
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from intake.models import Intake
from tests.factories import intake_form_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KEY = "6a8d3c1e-1f0b-4c61-9a7e-0d3f2b1c4e5a"


@pytest.fixture(autouse=True)
def _no_copy_of_the_choices_yet(monkeypatch):
    """Each test starts without this process's copy (earlier tests' centres are gone)."""
    from selvhjelp import outage

    monkeypatch.setattr(outage, "_remembered", {})


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_down():
    saved = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(HOST=saved[0], PORT=saved[1])


@pytest.fixture
def form(centre):
    data = intake_form_data(
        centre, email="kari@example.org", contact_by="email", submission_key=KEY
    )
    data["about"] = "Noe jeg skrev selv"
    return data


def test_the_form_posted_while_the_database_is_down_comes_back_filled_in_with_503(
    client, form, caplog
):
    assert client.get("/meld-interesse/").status_code == 200  # the choices are copied
    with database_down():
        response = client.post("/meld-interesse/", form)
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    page = response.content.decode()
    assert "Vi kan ikke ta imot skjemaet ditt akkurat nå" in page
    assert 'href="tel:113"' in page and 'href="tel:116123"' in page
    assert 'value="kari@example.org"' in page and "Noe jeg skrev selv" in page
    assert f'name="submission_key" value="{KEY}"' in page
    assert f'<option value="{form["centre"]}" selected>' in page
    assert f'value="{form["themes"][0]}"' in page and "checked" in page
    assert "csrfmiddlewaretoken" in page
    assert "Noe jeg skrev selv" not in caplog.text and "kari@" not in caplog.text
    assert "intake:create answered 503" in caplog.text
    # The database is back: one press sends it, once, whatever was pressed before.
    assert client.post("/meld-interesse/", form).status_code == 302
    assert client.post("/meld-interesse/", form).status_code == 302
    assert Intake.objects.get().email == "kari@example.org"


def test_the_cached_form_page_is_still_served_while_the_database_is_down(client, form):
    client.get("/meld-interesse/")
    with database_down():
        response = client.get("/meld-interesse/")
    assert response.status_code == 200
    assert 'name="submission_key"' in response.content.decode()


def test_the_form_page_itself_answers_503_with_the_form_while_the_database_is_down(
    client, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # never rendered before: nothing to serve from the cache
    client.get("/meld-interesse/")
    with database_down():
        response = client.get("/meld-interesse/")
    assert response.status_code == 503
    assert 'name="submission_key"' in response.content.decode()


def test_without_a_copy_of_the_choices_the_form_answers_a_plain_503(client, form):
    with database_down():
        response = client.post("/meld-interesse/", form)
    assert response.status_code == 503
    page = response.content.decode()
    assert "Portalen er midlertidig utilgjengelig" in page
    assert 'href="tel:116123"' in page


def test_staff_pages_answer_503_with_a_plain_explanation(staff):
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    with database_down():
        response = client.get("/admin/intake/intake/")
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    assert "Vi får ikke kontakt med databasen" in response.content.decode()


def test_a_facilitators_page_answers_503(facilitator):
    client = Client(raise_request_exception=False)
    client.force_login(facilitator.user)
    with database_down():
        response = client.get("/igangsetter/")
    assert response.status_code == 503


def test_the_server_going_away_in_the_middle_of_a_page_is_an_outage_too(client, monkeypatch):
    import psycopg
    from django.db import OperationalError

    from intake import views

    def server_gone(*args, **kwargs):
        raise OperationalError("consuming input failed") from psycopg.OperationalError(
            "consuming input failed: server closed the connection unexpectedly"
        )

    monkeypatch.setattr(views, "render", server_gone)
    monkeypatch.setattr(views, "render_to_string", server_gone)
    client.raise_request_exception = False
    response = client.get("/meld-interesse/")
    assert response.status_code == 503
    assert response["Retry-After"] == "120"


def test_the_health_check_still_answers_503(client):
    with database_down():
        response = client.get("/helse/")
    assert response.status_code == 503


def test_other_database_errors_stay_500(client, form, monkeypatch):
    from django.db import OperationalError
    from psycopg.errors import DeadlockDetected

    from intake import views

    def deadlock(*args, **kwargs):
        raise OperationalError("deadlock detected") from DeadlockDetected("deadlock detected")

    monkeypatch.setattr(views, "submit_intake", deadlock)
    client.get("/meld-interesse/")  # the connection is open and healthy
    client.raise_request_exception = False
    assert client.post("/meld-interesse/", form).status_code == 500
