"""Apply the retention periods to interest forms, or only count what would change."""

from django.core.management.base import BaseCommand

from intake import retention


class Command(BaseCommand):
    help = (
        "Tell staff of idle interest forms, close those idle past the warning, delete forms "
        "and anonymise former group members past their retention period (the nightly job "
        "apply_retention). --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change, change nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        result = retention.apply_retention(dry_run=dry_run)
        periods = retention.periods()
        self.stdout.write(
            f"{'Would show' if dry_run else 'Showed'} {result.idle} interest form(s) to staff: "
            f"no activity for {periods.idle_months} month(s)."
        )
        self.stdout.write(
            f"{'Would close' if dry_run else 'Closed'} {result.closed} interest form(s): no "
            f"activity for {periods.idle_warning_days} day(s) after staff were shown them."
        )
        self.stdout.write(
            f"{'Would delete' if dry_run else 'Deleted'} {result.deleted} interest form(s): "
            f"withdrawn or closed without a group more than {periods.intake_months} month(s) "
            f"ago, or withdrawn by the person with their link more than "
            f"{periods.withdrawal_days} day(s) ago."
        )
        self.stdout.write(
            f"{'Would anonymise' if dry_run else 'Anonymised'} {result.anonymised} former group "
            f"member(s): left their last group more than {periods.membership_months} month(s) "
            f"ago."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
