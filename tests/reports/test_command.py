"""manage.py report: the national report or one centre's, as CSV, Excel or JSON, suppressed."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests.reports.conftest import known_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def data(centre, other_centre):
    known_data(centre)
    known_data(other_centre)


def run(*args):
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def small_counts(document):
    found = []
    for table in document["tables"]:
        if table["key"] in ("first_contact", "wait", "holding", "self_run", "facilitators"):
            values = [row["values"][0] for row in table["rows"] if "Share" not in row["label"]]
        else:
            values = [v for row in table["rows"] for v in row["values"]]
        found += [v for v in values if isinstance(v, int) and 1 <= v <= 4]
    return found


def test_national_json_to_standard_output_is_suppressed(data):
    document = json.loads(run("--period", "2026", "--format", "json"))
    assert document["centre"] is None and document["suppressed"] is True
    assert document["period"] == "2026"
    summary = document["tables"][0]["rows"][0]["values"]
    assert summary == [16]
    assert small_counts(document) == []
    assert "under_5" in json.dumps(document)


def test_one_centres_csv_to_standard_output(data, centre):
    out = run("--period", "2026-Q1", "--centre", centre.slug)
    assert out.startswith("Rapport,") and "Arna frivilligsentral" in out.splitlines()[0]
    assert "under 5" in out


def test_excel_to_a_file(data, tmp_path):
    path = tmp_path / "rapport.xlsx"
    run("--period", "2026", "--format", "xlsx", "--output", str(path), "--compare")
    workbook = load_workbook(path)
    assert len(workbook.worksheets) > 10


def test_csv_to_a_file(data, tmp_path):
    path = tmp_path / "rapport.csv"
    assert run("--period", "2026-03", "--output", str(path)) == ""
    assert "Rapport" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-Q7"], "kvartal"),
        (["--period", "2026", "--centre", "nowhere"], "nowhere"),
        (["--period", "2026", "--format", "xlsx"], "--output"),
    ],
)
def test_bad_arguments_are_refused_clearly(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
