from django.core.management.base import BaseCommand

from groups import services


class Command(BaseCommand):
    help = (
        "Mark planned groups that have met as started, and add meetings so that every "
        "active group has 8 ahead. Safe to run as often as you like."
    )

    def handle(self, *args, **options):
        result = services.roll_forward()
        self.stdout.write(
            f"Groups started: {result['started']}. Meetings added: {result['meetings']}."
        )
