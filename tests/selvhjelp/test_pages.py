import pytest

pytestmark = pytest.mark.django_db


def test_home_is_norwegian_by_default_even_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nb">' in html
    assert "Finn en selvhjelpsgruppe" in html


def test_base_layout_has_skip_link_landmarks_and_footer_links(client):
    html = client.get("/").content.decode()
    assert 'href="#main"' in html
    assert html.count("<main") == 1
    assert 'id="main"' in html
    assert "<header" in html and "<footer" in html and "<nav" in html
    assert 'href="/personvern/"' in html
    assert 'href="/tilgjengelighet/"' in html


def test_base_layout_loads_no_third_party_assets_and_no_inline_script(client):
    html = client.get("/").content.decode()
    assert "https://" not in html.split("<body")[0]
    assert "<script>" not in html
    assert '<script src="/static/' in html


@pytest.mark.parametrize(
    ("url", "heading"),
    [("/personvern/", "Personvern"), ("/tilgjengelighet/", "Tilgjengelighetserklæring")],
)
def test_footer_pages_exist_in_norwegian(client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_language_switch_offers_english_and_remembers_it(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Find a self-help group near you" in html


def test_unknown_page_gives_norwegian_404(client):
    response = client.get("/finnes-ikke/")
    assert response.status_code == 404
    assert "Vi fant ikke siden" in response.content.decode()


def test_crisis_notice_names_both_numbers(client):
    html = client.get("/").content.decode()
    assert 'href="tel:113"' in html
    assert 'href="tel:116123"' in html
