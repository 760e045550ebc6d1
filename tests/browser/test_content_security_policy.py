"""The strict CSP breaks nothing: no page the public or staff open has a violation."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/om-selvhjelpsgrupper/",
        "/sporsmal-og-svar/",
        "/sentre/",
        "/personvern/",
        "/meld-interesse/",
        "/igangsetter/logg-inn/",
        "/admin/login/",
    ],
)
def test_page_runs_its_scripts_and_styles_without_csp_violations(live_server, page, url):
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(live_server.url + url)
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    # On a phone the menu needs no script: its links are all on the screen.
    if not url.startswith("/admin/"):
        page.set_viewport_size({"width": 360, "height": 740})
        links = page.get_by_role("navigation", name="Hovedmeny").get_by_role("link").all()
        assert links and all(link.is_visible() for link in links)
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text]
