"""The Rapporter page and its downloads: who sees what, exact or withheld."""

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook

from reports import periods
from reports.report import make_report
from tests import factories
from tests.reports.conftest import known_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PAGE = "/admin/rapporter/"
QUERY = {"year": "2026"}


@pytest.fixture
def data(centre, other_centre):
    known_data(centre)
    known_data(other_centre)


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


def test_anonymous_people_are_sent_to_the_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_index_lists_the_reports_for_staff(staff_client):
    response = staff_client.get("/admin/")
    assert PAGE in response.content.decode()


def test_staff_see_their_own_centre_exactly_on_screen(staff_client, data, centre):
    response = staff_client.get(PAGE, QUERY)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.centre == centre and not report.suppressed
    html = response.content.decode()
    assert 'id="chart-forms_by_month"' in html
    # Exact: the one person who withdrew is a 1.
    assert report.table("outcomes").rows[1].cells[0].text() == "1"


def test_staff_get_nothing_of_another_centre(staff_client, data, other_centre):
    for url in [PAGE, f"{PAGE.rstrip('/')}/last-ned.csv", f"{PAGE.rstrip('/')}/last-ned.json"]:
        response = staff_client.get(url, {**QUERY, "centre": other_centre.slug})
        assert response.status_code == 404
        assert "LINK Oslo" not in response.content.decode()


def test_staff_have_no_national_report(staff_client, data):
    assert staff_client.get(PAGE, {**QUERY, "centre": ""}).status_code == 404


def test_staff_without_a_centre_see_no_reports(client, data):
    user = factories.UserFactory(is_staff=True)
    client.force_login(user)
    assert client.get(PAGE).status_code == 404
    assert client.get("/admin/rapporter/last-ned.csv", QUERY).status_code == 404


def test_superusers_see_the_country_and_each_centre_suppressed(superuser_client, data, centre):
    response = superuser_client.get(PAGE, QUERY)
    assert response.context["report"].centre is None
    assert response.context["report"].suppressed
    response = superuser_client.get(PAGE, {**QUERY, "centre": centre.slug})
    assert response.context["report"].centre == centre
    assert response.context["report"].suppressed


def test_the_version_for_sharing_is_suppressed_for_staff_too(staff_client, data):
    response = staff_client.get(PAGE, {**QUERY, "shared": "1"})
    assert response.context["report"].suppressed


def test_bad_input_gets_an_error_beside_the_field(staff_client, data):
    response = staff_client.get(PAGE, {"year": "2026", "quarter": "2", "month": "5"})
    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["form"].errors
    response = staff_client.get(PAGE, {"year": "2026", "start": "2026-05-01"})
    assert response.context["form"].errors
    response = staff_client.get(PAGE, {"year": "1066"})
    assert response.context["form"].errors["year"]


def test_a_period_and_a_comparison_are_read_from_the_picker(staff_client, data):
    response = staff_client.get(PAGE, {"year": "2026", "quarter": "2", "compare": "on"})
    report = response.context["report"]
    assert report.period == periods.parse("2026-Q2")
    assert report.previous == periods.parse("2025-Q2")
    response = staff_client.get(PAGE, {"year": "2026", "start": "2026-01-01", "end": "2026-06-30"})
    assert response.context["report"].period == periods.parse("2026-01-01..2026-06-30")


def _export(client, file_format, **query):
    response = client.get(f"/admin/rapporter/last-ned.{file_format}", {**QUERY, **query})
    assert response.status_code == 200, response.content[:500]
    assert "attachment" in response["Content-Disposition"]
    return response.content


def _csv_numbers(content):
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    return [float(value) for row in rows for value in row[1:] if _is_number(value)]


def _is_number(value):
    return re.fullmatch(r"-?\d+(\.\d+)?", value or "") is not None


def _counts(report):
    """The count cells of a report and their values in document order."""
    return [cell for table in report.tables for cell in table.cells() if cell.kind == "count"]


def _no_small_count(values):
    assert not [v for v in values if isinstance(v, int | float) and 1 <= v <= 4 and v == int(v)]


@pytest.mark.parametrize("user_fixture", ["staff_client", "superuser_client"])
def test_no_download_holds_a_count_from_1_to_4(request, data, centre, user_fixture):
    client = request.getfixturevalue(user_fixture)
    query = {"centre": centre.slug, "compare": "on"}
    made = make_report(period=periods.parse("2026"), centre=centre, compare=True)
    count_positions = {
        (table.key, r, c)
        for table in made.tables
        for r, row in enumerate(table.rows)
        for c, cell in enumerate(row.cells)
        if cell.kind == "count"
    }
    document = json.loads(_export(client, "json", **query))
    for table in document["tables"]:
        for r, row in enumerate(table["rows"]):
            for c, value in enumerate(row["values"]):
                if (table["key"], r, c) in count_positions:
                    assert not (isinstance(value, int) and 1 <= value <= 4), (table["key"], row)
    workbook = load_workbook(io.BytesIO(_export(client, "xlsx", **query)))
    assert len(workbook.worksheets) == len(made.tables) + 1
    for sheet, table in zip(workbook.worksheets[1:], made.tables, strict=True):
        title, key = sheet.title, table.key
        for r, row in enumerate(sheet.iter_rows(min_row=3, values_only=True)):
            for c, value in enumerate(row[1:]):
                if (key, r, c) in count_positions:
                    assert not (isinstance(value, int) and 1 <= value <= 4), (title, row)
    for table in made.tables:
        content = _export(client, "csv", table=table.key, **query)
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]
        for r, row in enumerate(rows):
            for c, value in enumerate(row[1:]):
                if (table.key, r, c) in count_positions and _is_number(value):
                    assert not 1 <= float(value) <= 4, (table.key, row)
    # The data do hold small counts: the test would see them if they leaked.
    exact = make_report(period=periods.parse("2026"), centre=centre, suppressed=False)
    assert [cell for cell in _counts(exact) if 1 <= cell.value <= 4]


def test_the_national_screen_and_every_export_hold_no_count_from_1_to_4(superuser_client, data):
    response = superuser_client.get(PAGE, {**QUERY, "compare": "on"})
    report = response.context["report"]
    assert report.suppressed
    for cell in _counts(report):
        assert not (cell.shown and 1 <= cell.value <= 4)
    html = response.content.decode()
    for table in report.tables:
        body = html.split(f'id="table-{table.key}"')[1].split("</table>")[0]
        shown = re.findall(r'<td class="number">([^<]*)</td>', body)
        for text in shown:
            digits = text.replace("\xa0", "").replace(" ", "")
            if re.fullmatch(r"\d+", digits):
                # Counts only: shares carry %, days a decimal comma.
                assert not 1 <= int(digits) <= 4, (table.key, text)
    content = _export(superuser_client, "csv", compare="on")
    assert content.startswith("\ufeff".encode())
    json.loads(_export(superuser_client, "json", compare="on"))
    load_workbook(io.BytesIO(_export(superuser_client, "xlsx", compare="on")))


def test_charts_carry_no_script_or_inline_style_and_are_labelled(staff_client, data):
    html = staff_client.get(PAGE, QUERY).content.decode()
    charts = re.findall(r"<svg [^>]*report-chart.*?</svg>", html, flags=re.S)
    assert len(charts) >= 5
    for chart in charts:
        assert "<script" not in chart and "<style" not in chart and "style=" not in chart
        assert 'role="img"' in chart and "<title id=" in chart and "<desc id=" in chart
        assert "aria-labelledby=" in chart and "aria-describedby=" in chart
    css = staff_client.get("/admin/rapporter/diagram.css")
    assert css.status_code == 200 and ".report-chart" in css.content.decode()


def test_withheld_numbers_are_not_drawn(superuser_client, data, centre):
    from reports import charts

    made = make_report(period=periods.parse("2026"), centre=centre)
    outcomes = made.table("outcomes")
    withheld = [row for row in outcomes.body if not row.cells[0].shown]
    assert withheld
    svg = charts.svg(outcomes)
    drawn = re.findall(r'<desc class="value">([^<]*)</desc>', svg)
    assert len(drawn) == len(outcomes.body) - len(withheld)


def test_an_unknown_table_or_format_is_404(staff_client, data):
    assert staff_client.get("/admin/rapporter/last-ned.pdf", QUERY).status_code == 404
    response = staff_client.get("/admin/rapporter/last-ned.csv", {**QUERY, "table": "nope"})
    assert response.status_code == 404
