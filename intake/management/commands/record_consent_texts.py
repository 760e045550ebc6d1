"""Store the words of the current consent version in every language; refuse changed words."""

from django.core.management.base import BaseCommand, CommandError

from intake import consent


class Command(BaseCommand):
    help = (
        "Store the exact words of the current consent text (intake.consent.CONSENT_VERSION) "
        "for every language that has none stored yet. Fails when the stored words of that "
        "version differ from what the form shows: new words need a new version. Run it on "
        "every deploy, after migrate."
    )

    def handle(self, *args, **options):
        try:
            stored = consent.record_consent_texts()
        except consent.ConsentTextChanged as error:
            raise CommandError(str(error)) from error
        if stored:
            self.stdout.write(
                f"Stored consent text {consent.CONSENT_VERSION} in: {', '.join(stored)}."
            )
        else:
            self.stdout.write(
                f"Consent text {consent.CONSENT_VERSION} is stored in every language, unchanged."
            )
