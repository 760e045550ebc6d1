"""The staff's lists: centre scoping without DISTINCT, a number of queries that does not grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db


def list_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


@pytest.mark.parametrize(
    "url", ["/admin/intake/intake/", "/admin/intake/intake/?q=Kari", "/admin/groups/group/"]
)
def test_a_staff_list_scoped_by_a_foreign_key_needs_no_distinct(staff_client, centre, url):
    IntakeFactory.create_batch(3, centre=centre, name="Kari Nordmann")

    queries = list_queries(staff_client, url)

    # The count and the page of rows (a filter's short list of centres may be DISTINCT).
    counts_and_rows = [sql for sql in queries if "COUNT(" in sql or "LIMIT" in sql]
    assert counts_and_rows
    assert not any("DISTINCT" in sql for sql in counts_and_rows), counts_and_rows
    # One COUNT: the filtered one; no second count of every row for "(N total)".
    assert sum(sql.startswith("SELECT COUNT(*)") for sql in queries) <= 1, queries


def test_the_intake_list_takes_as_many_queries_for_three_forms_as_for_thirty(staff_client, centre):
    IntakeFactory.create_batch(3, centre=centre)
    few = len(list_queries(staff_client, "/admin/intake/intake/"))
    IntakeFactory.create_batch(27, centre=centre)

    assert len(list_queries(staff_client, "/admin/intake/intake/")) == few
