"""Whole public pages from the cache, per language, and compressed HTML (selvhjelp.pagecache)."""

import gzip

import brotli
import pytest
from django.test import Client

from tests.factories import CentreFactory

pytestmark = pytest.mark.django_db


def test_a_cached_page_keeps_every_security_header_and_says_it_may_be_kept_a_minute(client):
    fresh = client.get("/om-selvhjelpsgrupper/")
    cached = client.get("/om-selvhjelpsgrupper/")

    assert cached.content == fresh.content
    for header in (
        "Content-Security-Policy",
        "Permissions-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Content-Language",
    ):
        assert cached[header] == fresh[header], header
    assert cached["Cache-Control"] == "public, max-age=60"
    assert not cached.cookies


def test_a_cached_page_is_sent_with_brotli_or_gzip_as_the_browser_accepts(client):
    plain = client.get("/").content

    as_brotli = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    as_gzip = client.get("/", HTTP_ACCEPT_ENCODING="gzip")

    assert as_brotli["Content-Encoding"] == "br"
    assert brotli.decompress(as_brotli.content) == plain
    assert as_gzip["Content-Encoding"] == "gzip"
    assert gzip.decompress(as_gzip.content) == plain
    assert "Accept-Encoding" in as_gzip["Vary"]
    assert int(as_gzip["Content-Length"]) == len(as_gzip.content)


def test_each_language_has_its_own_cached_page(client):
    client.get("/")
    client.get("/en/")

    assert '<html lang="nb">' in client.get("/").content.decode()
    assert '<html lang="en">' in client.get("/en/").content.decode()


def test_the_centres_page_shows_a_new_centre_at_once(client, centre):
    client.get("/sentre/")
    CentreFactory(name="Nytt senter i Bodø")

    assert "Nytt senter i Bodø" in client.get("/sentre/").content.decode()


def test_a_logged_in_person_gets_the_page_made_for_them(client, centre, staff):
    client.get("/")  # cached for everyone else
    staff_client = Client()
    staff_client.force_login(staff)

    response = staff_client.get("/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_query_string_is_never_served_from_the_cache(client):
    client.get("/")

    response = client.get("/?utm_source=avis")

    assert "no-store" in response["Cache-Control"]


def test_the_form_page_is_compressed_with_padding_against_breach(client, centre):
    first = client.get("/meld-interesse/", HTTP_ACCEPT_ENCODING="gzip")
    second = client.get("/meld-interesse/", HTTP_ACCEPT_ENCODING="gzip")

    assert first["Content-Encoding"] == "gzip"
    assert "no-store" in first["Cache-Control"]
    html = gzip.decompress(first.content).decode()
    assert 'name="csrfmiddlewaretoken"' in html
    # Django's GZipMiddleware pads each response with random bytes in the header.
    # (a run of random length in the gzip header's file name field).
    assert first.content[3] & 0x08 and second.content[3] & 0x08


def test_the_receipt_and_error_pages_are_never_stored(client, centre):
    client.get("/finnes-ikke/")

    assert "no-store" in client.get("/meld-interesse/takk/")["Cache-Control"]
    assert client.get("/finnes-ikke/").status_code == 404
