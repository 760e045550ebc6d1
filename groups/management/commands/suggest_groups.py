"""python manage.py suggest_groups <centre-slug> [--json]

The groups the waiting list of one centre could make (groups.suggestions),
with the people left out and why. With --json one JSON object:
{"groups": [{"weekday", "part", "format", "members", "warnings"}],
"unplaced": [{"reference", "reason"}], "seconds"}. Changes nothing; the
listing is an access in the access log, as the admin page's is.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from groups.suggestions.proposals import suggest
from selvhjelp.audit import Action, Page, record_access
from selvhjelp.models import Centre


class Command(BaseCommand):
    help = "Suggest groups from a centre's waiting list (people ready for a group)."

    def add_arguments(self, parser):
        parser.add_argument("centre", help="the centre's short name (slug)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        centre = Centre.objects.filter(slug=options["centre"]).first()
        if centre is None:
            raise CommandError(f"No centre has the short name “{options['centre']}”.")
        with translation.override("nb"):
            result = suggest(centre)
            people = [i for p in result.proposals for i in p.members]
            people += [intake for intake, _reason in result.unplaced]
            record_access(actor=None, action=Action.LISTED, people=people, page=Page.COMMAND)
            if options["json"]:
                self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
                return
            for number, proposal in enumerate(result.proposals, 1):
                self.stdout.write(
                    f"{number}. {proposal.slot_label}, {proposal.format_label.lower()}: "
                    + ", ".join(i.reference for i in proposal.members)
                )
                for warning in proposal.warnings:
                    self.stdout.write(f"   - {warning}")
            for intake, reason in result.unplaced:
                self.stdout.write(f"{intake.reference}: {reason}")
            self.stdout.write(
                f"{result.placed} placed (greedy: {result.greedy_placed}, at most "
                f"{result.upper_bound}) in {result.seconds:.2f} s"
            )
