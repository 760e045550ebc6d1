"""The report as CSV, Excel (XLSX) and JSON files.

Every export is made from a suppressed report (see reports.access): a file
leaves the centre's own staff view as soon as it is saved or sent.
"""

import csv
import io
import json

from django.utils import formats
from django.utils.translation import gettext as _

from .tables import SHOWN

# Characters that make a spreadsheet read a cell as a formula (CSV injection):
# theme and centre names are typed by staff.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value):
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _header(table):
    return ["", *[str(column) for column in table.columns]]


def _rows(table):
    for row in table.rows:
        yield [_text(row.label), *[_cell(cell.export()) for cell in row.cells]]


def _cell(value):
    return _text(value) if isinstance(value, str) else value


def _about(report):
    lines = [
        [_("Report"), _text(report.scope_label)],
        [_("Period"), str(report.period.label)],
    ]
    if report.previous is not None:
        lines.append([_("Compared with"), str(report.previous.label)])
    lines.append([_("Made"), formats.date_format(report.made_at, "SHORT_DATETIME_FORMAT")])
    if report.suppressed:
        lines.append([_("Small numbers"), suppression_note()])
    return lines


def suppression_note():
    return _(
        "Counts from 1 to 4 are shown as “under 5”. Figures worked out from fewer than 5 "
        "people are hidden, and so are other cells where a total would reveal one."
    )


def to_csv(report, table=None):
    """One table, or every table under its title, as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if table is not None:
        writer.writerow(_header(table))
        writer.writerows(_rows(table))
        return out.getvalue()
    writer.writerows(_about(report))
    for each in report.tables:
        writer.writerow([])
        writer.writerow([str(each.title)])
        writer.writerow(_header(each))
        writer.writerows(_rows(each))
    return out.getvalue()


def to_xlsx(report, table=None):
    """An Excel workbook: a sheet about the report, then one sheet per table."""
    # Imported here, not at the top: a web worker loads it only when needed (issue 14).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    about = workbook.active
    about.title = _("About")[:31]
    for line in _about(report):
        about.append(line)
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 80
    used = set()
    for each in [table] if table is not None else report.tables:
        sheet = workbook.create_sheet(_sheet_title(str(each.title), used))
        sheet.append([_text(each.title)])
        sheet["A1"].font = Font(bold=True)
        sheet.append(_header(each))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in _rows(each):
            sheet.append(row)
        sheet.column_dimensions["A"].width = 48
        for letter in "BCDEFGHI":
            sheet.column_dimensions[letter].width = 18
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title, used):
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31].strip()
    candidate, number = clean, 2
    while candidate.lower() in used:
        suffix = f" {number}"
        candidate, number = clean[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate


def to_json(report):
    """Every table as JSON: numbers as numbers, withheld cells as "under_5" or "hidden"."""
    data = {
        "report": report.scope_label,
        "centre": report.centre.slug if report.centre is not None else None,
        "period": report.period.code,
        "period_label": str(report.period.label),
        "compared_with": report.previous.code if report.previous is not None else None,
        "suppressed": report.suppressed,
        "made_at": report.made_at.isoformat(),
        "tables": [
            {
                "key": each.key,
                "title": str(each.title),
                "columns": [str(column) for column in each.columns],
                "rows": [
                    {
                        "label": row.label,
                        "total": row.is_total,
                        "values": [_json_value(cell) for cell in row.cells],
                    }
                    for row in each.rows
                ],
            }
            for each in report.tables
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def _json_value(cell):
    if cell.state != SHOWN:
        return cell.state
    value = cell.export()
    return None if value == "" else value
