"""The query budgets of the public pages, the interest form and its POST (issue 14).

Counted as Django sees them on PostgreSQL. The tests run inside a transaction,
so the form's own transaction shows up as SAVEPOINT/RELEASE statements; in
production it is a BEGIN/COMMIT of the connection (ATOMIC_REQUESTS is off),
so those are left out of the count.
"""

import re
import uuid

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from intake.models import Intake, Slot, Theme
from selvhjelp.pagecache import forget_public_pages
from tests.factories import CentreFactory, intake_form_data

pytestmark = pytest.mark.django_db

INFO_PAGES = [
    "/",
    "/om-selvhjelpsgrupper/",
    "/sporsmal-og-svar/",
    "/sentre/",
    "/personvern/",
    "/tilgjengelighet/",
    "/en/",
    "/nn/sentre/",
]
POST_BUDGET = 8  # 5 today; room is left for the duplicate-submission check


def statements(context):
    return [
        query["sql"]
        for query in context.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def count_queries(request):
    with CaptureQueriesContext(connection) as context:
        response = request()
    return response, statements(context)


@pytest.mark.parametrize("url", INFO_PAGES)
def test_info_pages_take_no_query_once_cached(client, centre, url):
    assert client.get(url).status_code == 200

    response, queries = count_queries(lambda: client.get(url))

    assert response.status_code == 200
    assert queries == []


def test_the_form_takes_no_query_once_rendered_and_one_for_a_centres_address(client, centre):
    client.get("/meld-interesse/")
    client.get(f"/meld-interesse/{centre.slug}/")

    plain, plain_queries = count_queries(lambda: client.get("/meld-interesse/"))
    own, own_queries = count_queries(lambda: client.get(f"/meld-interesse/{centre.slug}/"))

    assert plain.status_code == own.status_code == 200
    assert plain_queries == []
    assert len(own_queries) == 1  # the centre is still taking forms


def test_the_form_takes_at_most_two_queries_when_it_is_rendered_again(client, centre):
    client.get(f"/meld-interesse/{centre.slug}/")
    forget_public_pages()

    response, queries = count_queries(lambda: client.get(f"/meld-interesse/{centre.slug}/"))

    assert response.status_code == 200
    assert len(queries) <= 2, queries
    assert not any("DECLARE" in sql for sql in queries)  # no server-side cursor


def test_each_form_shown_has_its_own_submission_key_and_a_working_csrf_token(centre):
    browser = Client(enforce_csrf_checks=True)
    first = browser.get("/meld-interesse/").content.decode()
    second = browser.get("/meld-interesse/").content.decode()
    key = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', second).group(1)

    assert key.search(first).group(1) != key.search(second).group(1)
    assert "placeholder" not in second
    data = intake_form_data(centre, submission_key=key.search(second).group(1))
    response = browser.post("/meld-interesse/", {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Intake.objects.count() == 1


def test_a_centres_form_is_a_404_once_the_centre_stops_taking_forms(client, centre):
    client.get(f"/meld-interesse/{centre.slug}/")
    centre.active = False
    centre.save()

    assert client.get(f"/meld-interesse/{centre.slug}/").status_code == 404


def test_a_new_theme_shows_on_the_form_at_once(client, centre):
    client.get("/meld-interesse/")
    Theme.objects.create(name="Søvnløshet")

    assert "Søvnløshet" in client.get("/meld-interesse/").content.decode()


@pytest.mark.parametrize("chosen", ["none", "one", "all"])
def test_a_valid_post_stays_within_its_budget_whatever_is_chosen(client, centre, chosen):
    client.get("/meld-interesse/")  # the form's choices are read once, as in a browser
    themes = [str(pk) for pk in Theme.objects.values_list("pk", flat=True)]
    slots = [str(pk) for pk in Slot.objects.values_list("pk", flat=True)]
    picks = {"none": ([], []), "one": (themes[:1], slots[:1]), "all": (themes, slots)}[chosen]
    data = intake_form_data(centre, themes=picks[0], availability=picks[1])

    response, queries = count_queries(lambda: client.post("/meld-interesse/", data))

    assert response.status_code == 302
    assert len(queries) <= POST_BUDGET, "\n".join(queries)
    # The centre; the look for an identical form of the last 24 hours (issue
    # 15); the form; its themes, times and status in one message; the audit
    # entry; the receipt.
    assert len(queries) == 6, "\n".join(queries)
    intake = Intake.objects.get()
    assert intake.themes.count() == len(picks[0])
    assert intake.availability.count() == len(picks[1])
    assert list(intake.status_changes.values_list("to_status", flat=True)) == ["new"]


def test_a_repeated_post_returns_the_first_form_with_one_query_more(client, centre):
    client.get("/meld-interesse/")
    data = intake_form_data(centre)
    client.post("/meld-interesse/", data)

    response, queries = count_queries(lambda: client.post("/meld-interesse/", data))

    assert response.status_code == 302
    assert Intake.objects.count() == 1
    assert len(queries) <= POST_BUDGET


def test_a_new_form_has_one_audit_entry_with_its_times_and_without_its_themes(client, centre):
    monday = Slot.objects.get(weekday=0, part="evening")
    theme = Theme.objects.get(is_other=True)
    client.post(
        "/meld-interesse/",
        intake_form_data(centre, themes=[str(theme.pk)], availability=[str(monday.pk)]),
    )

    intake = Intake.objects.get()
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Intake), object_id=intake.pk
    )
    assert entries.count() == 1
    entry = entries.get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes_dict["availability"] == {
        "type": "m2m",
        "operation": "add",
        "objects": [str(monday)],
    }
    assert "themes" not in entry.changes_dict
    assert entry.changes_dict["about"][1] == "[skjult]"  # free text masked
    assert "Jeg vil gjerne" not in str(entry.changes)
    assert entry.changes_dict["name"][1] == "Kari Nordmann"


def test_the_form_of_another_centre_is_rendered_for_its_own_address(client, centre):
    other = CentreFactory(name="Tromsø selvhjelp", slug="tromso")
    client.get(f"/meld-interesse/{centre.slug}/")

    html = client.get(f"/meld-interesse/{other.slug}/").content.decode()

    assert re.search(rf'<option value="{other.pk}" selected>', html)
    assert str(uuid.UUID(int=0)) not in html
