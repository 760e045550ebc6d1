"""python manage.py report --period 2026 [--centre <slug>] --format csv|xlsx|json [--output FILE]

Always with small numbers withheld (reports.suppression): a file made by a
command leaves the centre's own staff view. Without --centre it is the
national report.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from reports import exports, periods
from reports.report import make_report
from selvhjelp.models import Centre


class Command(BaseCommand):
    help = (
        "Write the report of a period (2026, 2026-Q2, 2026-03 or 2026-01-01..2026-06-30) "
        "for the whole country or one centre, with small numbers withheld."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True)
        parser.add_argument("--centre", help="the centre's short name (slug); none: the country")
        parser.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
        parser.add_argument("--output", help="file to write; csv and json go to standard output")
        parser.add_argument(
            "--compare", action="store_true", help="add the same period a year before"
        )

    def handle(self, *args, **options):
        try:
            period = periods.parse(options["period"])
        except periods.PeriodError as error:
            raise CommandError(str(error)) from None
        centre = None
        if options["centre"]:
            centre = Centre.objects.filter(slug=options["centre"]).first()
            if centre is None:
                raise CommandError(f"No centre has the short name “{options['centre']}”.")
        file_format, output = options["format"], options["output"]
        if file_format == "xlsx" and not output:
            raise CommandError("An Excel file needs --output FILE.")
        with translation.override("nb"):
            report = make_report(
                period=period, centre=centre, compare=options["compare"], suppressed=True
            )
            if file_format == "xlsx":
                content = exports.to_xlsx(report)
            elif file_format == "json":
                content = exports.to_json(report) + "\n"
            else:
                content = exports.to_csv(report)
        if output:
            mode = "wb" if isinstance(content, bytes) else "w"
            encoding = None if mode == "wb" else "utf-8"
            with open(output, mode, encoding=encoding, newline="" if mode == "w" else None) as f:
                f.write(content)
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(content, ending="")
