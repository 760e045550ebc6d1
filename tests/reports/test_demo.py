"""The reports' demo history: two years of it, and the same rows on every run."""

import datetime

import pytest

from groups.models import Group, Membership
from intake.models import Intake
from reports import periods
from reports.demo import seed_report_history
from reports.report import make_report
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)


@pytest.fixture
def centres(db):
    return [
        factories.CentreFactory(slug="arna", name="Arna frivilligsentral"),
        factories.CentreFactory(slug="link-oslo", name="LINK Oslo", runs_digital_groups=True),
    ]


def counts():
    return Intake.objects.count(), Group.objects.count(), Membership.objects.count()


def test_history_is_made_once_and_found_again(centres):
    first = seed_report_history(centres, today=TODAY)
    made = counts()
    assert seed_report_history(centres, today=TODAY) == first
    assert counts() == made
    assert first[0] > 400 and first[1] > 40


def test_history_covers_two_years_for_the_charts(centres):
    seed_report_history(centres, today=TODAY)
    received = Intake.objects.order_by("created_at").values_list("created_at", flat=True)
    assert received.first().date() <= datetime.date(2024, 12, 31)
    report = make_report(period=periods.parse("2026"), compare=True)
    summary = report.table("summary")
    for row in summary.rows:
        assert all(cell.value for cell in row.cells), row.label
    # Every group has ended and nobody is left in one: the live demo groups stay as they are.
    assert not Group.objects.exclude(status=Group.Status.ENDED).exists()
    assert not Membership.objects.filter(left_on__isnull=True).exists()
