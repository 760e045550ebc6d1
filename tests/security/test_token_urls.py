"""Misshapen secret tokens answer 404 before anything is looked up; NUL bytes never reach
PostgreSQL from a path, a query string, a cookie or a header."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.usefixtures("postgres")

TOKEN_URLS = {
    "calendar": "/igangsetter/kalender/{}.ics",
    "withdrawal": "/meld-interesse/trekk/{}/",
    "stop messages": "/stopp/{}/",
    "password link": "/igangsetter/nytt-passord/MQ/{}/",
}
BAD_TOKENS = {
    "NUL": "%00",
    "NUL inside": "a%00b",
    "control character": "a%01b",
    "right-to-left override": "a%E2%80%AEb",
    "markup": "%3Cscript%3E",
    "space": "a%20b",
    "far too long": "a" * 2000,
    "combining mark": "a%CC%81",
}


@pytest.mark.parametrize("url", list(TOKEN_URLS.values()), ids=list(TOKEN_URLS))
@pytest.mark.parametrize("token", list(BAD_TOKENS.values()), ids=list(BAD_TOKENS))
def test_a_misshapen_token_is_a_404_without_a_query(url, token):
    client = Client(raise_request_exception=False)
    for method in (client.get, client.post):
        with CaptureQueriesContext(connection) as queries:
            response = method(url.format(token))
        assert response.status_code == 404
        # Neither the token nor anything else was sent to the database.
        assert not [q for q in queries if "token" in q["sql"] or "intake" in q["sql"]]


def test_the_calendar_feed_with_a_nul_byte_is_a_404():
    """As found: GET /igangsetter/kalender/%00.ics answered 500."""
    client = Client(raise_request_exception=False)
    assert client.get("/igangsetter/kalender/%00.ics").status_code == 404
    assert client.get("/igangsetter/kalender/a%00b.ics").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/meld-interesse/samtykke/a%00/", "/meld-interesse/a%00b/", "/sentre/%00/"],
)
def test_a_nul_anywhere_in_the_path_is_a_404(url):
    assert Client(raise_request_exception=False).get(url).status_code == 404


@pytest.mark.parametrize("query", ["q=%00", "%00=1", "status=a%00b"])
def test_a_nul_in_the_query_string_is_a_400(staff_client, query):
    staff_client.raise_request_exception = False
    assert staff_client.get(f"/admin/intake/intake/?{query}").status_code == 400
    assert staff_client.get(f"/?{query}").status_code == 400


def test_a_session_cookie_with_a_nul_is_ignored():
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "abcdefghij\x00klmnop"
    assert client.get("/igangsetter/logg-inn/").status_code == 200
    assert client.get("/").status_code == 200


def test_a_user_agent_with_a_nul_is_counted_at_login():
    client = Client(raise_request_exception=False)
    response = client.post(
        "/igangsetter/logg-inn/",
        {"username": "kari", "password": "feil"},
        HTTP_USER_AGENT="Mozilla\x00/5.0",
    )
    assert response.status_code == 200
