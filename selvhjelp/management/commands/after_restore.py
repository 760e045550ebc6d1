"""Run right after restoring a database backup, before web, workers and beat start.

See "Restoring a backup" in the README for the whole runbook.
"""

from django.core.management.base import BaseCommand
from django.urls import reverse

from selvhjelp import messaging


class Command(BaseCommand):
    help = (
        "After restoring a backup: hold every message that was due or being sent, "
        "so none goes out twice; staff then send or drop each in the admin."
    )

    def handle(self, *args, **options):
        counts = messaging.hold_after_restore()
        held = sum(counts.values())
        self.stdout.write(
            f"Held {held} messages "
            f"({counts.get('pending', 0)} waiting and due, {counts.get('sending', 0)} being sent)."
        )
        if held:
            url = reverse("admin:selvhjelp_outboundmessage_changelist") + "?status=held"
            self.stdout.write(
                "Nothing sends them until staff choose, in the admin at "
                f"{url}: 'Send the chosen failed or held messages again' or "
                "'Do not send the chosen messages'."
            )
        self.stdout.write(
            self.style.SUCCESS("Now purge the Celery queue, start web, workers and beat.")
        )
