"""Erase a person whose request came by letter, as the admin's erase button does."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from intake import rights
from intake.models import Intake, IntakeError
from selvhjelp.audit import Page


class Command(BaseCommand):
    help = (
        "Erase the person of an interest form, for a request that came by letter. Works as "
        "the admin's button, in the name of --by: a superuser erases at once; a centre's "
        "staff member asks, and another staff member of the centre (or a superuser) "
        "confirms by running the command with their own name."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="the form's reference, e.g. K7M-2QX")
        parser.add_argument("--by", required=True, help="the user name of who does it")
        parser.add_argument("--reason", default="", help="why, e.g. 'letter of 2 December'")

    def handle(self, *args, reference, by, reason, **options):
        compact = "".join(reference.split()).replace("-", "").upper()
        intake = Intake.objects.filter(reference=f"{compact[:3]}-{compact[3:]}").first()
        if intake is None:
            raise CommandError(f"No interest form has the reference {reference!r}.")
        actor = get_user_model().objects.filter(username=by, is_active=True, is_staff=True)
        actor = actor.first()
        if actor is None:
            raise CommandError(f"No active staff user is called {by!r}.")
        try:
            outcome = rights.erase_person(
                intake=intake, actor=actor, reason=reason, page=Page.COMMAND
            )
        except IntakeError as error:
            raise CommandError(str(error)) from error
        except PermissionDenied as error:
            raise CommandError(f"{by} may not handle this centre's forms.") from error
        if outcome.request is not None:
            until = timezone.localtime(outcome.request.expires_at)
            self.stdout.write(
                f"Asked to erase {intake.reference}. Another staff member of the centre, or a "
                f"superuser, must confirm by {until:%Y-%m-%d %H:%M} "
                "(in the admin, or with this command and --by <their user name>)."
            )
            return
        erased = outcome.erased
        what = "anonymised (was in a group)" if erased.anonymised else "deleted"
        self.stdout.write(f"Erased {erased.reference}: {what}, with every trace naming them.")
