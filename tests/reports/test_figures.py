"""Each figure of the report on known data (tests/reports/conftest.py), worked out by hand."""

import datetime

import pytest

from reports import figures, periods
from tests import factories
from tests.reports.conftest import NOW, known_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

YEAR = periods.parse("2026")


@pytest.fixture
def data(centre, other_centre):
    rows = known_data(centre)
    # Another centre's form and group: never in the first centre's figures.
    factories.IntakeFactory(centre=other_centre, created_at=NOW - datetime.timedelta(days=30))
    return rows


@pytest.fixture
def result(postgres, data, centre):
    return figures.compute(period=YEAR, centres=[centre], now=NOW)


def test_forms_received_by_month_and_channel(result):
    assert result.forms_total == 8
    by_month = {month.month: n for month, n in result.forms_by_month.items() if n}
    assert by_month == {1: 3, 2: 1, 3: 2, 4: 1, 11: 1}
    assert len(result.forms_by_month) == 12
    assert result.forms_by_channel == {"web": 8, "phone": 0}


def test_what_became_of_the_forms(result):
    assert result.outcomes == {"placed": 4, "withdrawn": 1, "closed": 1, "waiting": 2}


def test_first_contact_in_working_days_over_weekends_and_easter(result):
    # 2, 6, 0, 1 (over Easter) and 1 working days.
    assert result.contacted == 5
    assert result.contact_median_days == 1
    # Within 5: four of them; the form still new since March is a miss, the
    # one from last week is not yet late, the withdrawn one is left out.
    assert (result.contact_within, result.contact_measured) == (4, 6)


def test_the_promise_is_the_centres_own(postgres, data, centre):
    centre.usual_response_days = 1
    centre.save()
    result = figures.compute(period=YEAR, centres=[centre], now=NOW)
    assert result.contact_within == 3  # 0, 1, 1
    # The form of last week is now late too.
    assert result.contact_measured == 7


def test_wait_until_the_group_started(result):
    # 119, 115, 114, 40 (from the first meeting attended) and 182 days.
    assert result.started_people == 5
    assert result.wait_median_days == 115
    assert result.wait_p90_days == pytest.approx(156.8)


def test_members_still_in_their_group_at_week_4_week_12_and_6_months(result):
    assert result.holding == [
        ("week_4", 4, 5, 4),
        ("week_12", 12, 5, 3),
        ("month_6", 26, 5, 2),
    ]


def test_a_week_not_reached_yet_is_not_counted(postgres, data, centre):
    now = datetime.datetime(2026, 6, 10, 12, tzinfo=NOW.tzinfo)
    result = figures.compute(period=YEAR, centres=[centre], now=now)
    # 5 June is the last day of week 5 for those who started on 4 May; f4 started a week later.
    assert result.holding[0] == ("week_4", 4, 5, 4)
    assert result.holding[1][2:] == (0, 0)


def test_groups_started_by_format_and_kind_with_members_at_start(result):
    assert ("physical", "across", 2, 5) in result.groups_started
    assert ("digital", "same", 1, 0) in result.groups_started
    assert sum(groups for _f, _k, groups, _m in result.groups_started) == 3


def test_groups_that_went_on_by_themselves(result):
    # G1 runs on; G3 ended two weeks after its facilitators withdrew;
    # G2 withdrew too lately to tell.
    assert (result.self_run_decided, result.self_run_went_on) == (2, 1)


def test_facilitator_meetings_and_follow_ups(result):
    # Kari: G1's first two held meetings (one was cancelled) and G3's first;
    # Per withdrew from G1 before it met, and G4's meeting was the year before.
    assert result.facilitator_meetings == 3
    assert result.facilitators_attending == 1
    assert result.follow_ups == {"due": 3, "on_time": 1, "late": 0, "missed": 1, "open": 1}


def test_participants_by_age_band_and_gender(result):
    assert result.participants == 5
    assert result.age_bands == {"18-29": 1, "30-44": 2, "45-66": 1, "67+": 1}
    assert result.genders == {"woman": 2, "man": 1, "other": 1, "": 1}


def test_themes_chosen(result, data):
    first, second = data["themes"]
    counts = dict(result.themes)
    assert counts[first.name] == 2 and counts[second.name] == 2
    assert sum(counts.values()) == 4


def test_national_figures_add_the_other_centres_and_list_each(postgres, data, centre):
    result = figures.compute(period=YEAR, now=NOW)
    assert result.forms_total == 9
    assert ("Arna frivilligsentral", 8, 3) in result.by_centre
    assert ("LINK Oslo", 1, 0) in result.by_centre


def test_without_percentile_cont_python_gives_the_same_percentiles(
    postgres, data, centre, monkeypatch
):
    monkeypatch.setattr(figures, "_has_percentiles", lambda: False)
    result = figures.compute(period=YEAR, centres=[centre], now=NOW)
    assert result.contact_median_days == 1
    assert result.wait_median_days == 115
    assert result.wait_p90_days == pytest.approx(156.8)


def test_figures_come_out_on_every_database(data, centre):
    # make run uses SQLite: there the percentiles are worked out in Python.
    result = figures.compute(period=YEAR, centres=[centre], now=NOW)
    assert result.forms_total == 8
    assert result.contact_median_days == 1
    assert result.wait_median_days == 115


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([(3, 1)], 0.5, 3.0),
        ([(1, 1), (2, 1)], 0.5, 1.5),
        ([(0, 1), (1, 2), (2, 1), (6, 1)], 0.5, 1.0),
        ([(40, 1), (114, 1), (115, 1), (119, 1), (182, 1)], 0.9, 156.8),
        ([], 0.5, None),
    ],
)
def test_percentile_cont_interpolates_as_postgresql_does(values, fraction, expected):
    assert figures.percentile_cont(values, fraction) == pytest.approx(expected)
