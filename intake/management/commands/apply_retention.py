"""Delete and anonymise personal data past its retention period, or only count it."""

from django.conf import settings
from django.core.management.base import BaseCommand

from intake import retention


class Command(BaseCommand):
    help = (
        "Delete interest forms and anonymise former group members past their retention "
        "period (the nightly job apply_retention). --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change, change nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        result = retention.apply_retention(dry_run=dry_run)
        verb = ("Would delete", "Would anonymise") if dry_run else ("Deleted", "Anonymised")
        self.stdout.write(
            f"{verb[0]} {result.deleted} interest form(s): withdrawn or closed without a group "
            f"more than {settings.INTAKE_RETENTION_MONTHS} month(s) ago, or withdrawn by the "
            f"person with their link more than {settings.WITHDRAWAL_DELETE_AFTER_DAYS} day(s) ago."
        )
        self.stdout.write(
            f"{verb[1]} {result.anonymised} former group member(s): last membership ended more "
            f"than {settings.MEMBERSHIP_RETENTION_MONTHS} month(s) ago."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
