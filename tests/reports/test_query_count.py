"""The report asks the database the same number of questions whatever the amount of data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import periods
from reports.report import make_report
from tests import factories
from tests.reports.conftest import known_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

YEAR = periods.parse("2026")


def queries(**kwargs):
    with CaptureQueriesContext(connection) as captured:
        make_report(period=YEAR, **kwargs)
    return len(captured.captured_queries)


def test_the_same_queries_for_one_centre_and_for_five(postgres, centre):
    known_data(centre)
    small = (queries(), queries(centre=centre), queries(compare=True))
    for number in range(4):
        known_data(factories.CentreFactory(slug=f"flere-{number}"))
    large = (queries(), queries(centre=centre), queries(compare=True))
    assert small == large
    # A centre's report: ten figure queries, and turning PostgreSQL's JIT off
    # with its savepoint and release (a transaction's, outside the tests). The
    # national report adds the centres' promises and the table by centre.
    assert small == (17, 13, 34)
