"""Issue 19: consent texts kept word for word, erasure requests, idle forms, no applying_for_self."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


# The exact words of each consent version the form has shown, per language,
# as they were released (intake.consent). Never edit these: new words get a
# new version and a new entry here (or `manage.py record_consent_texts`).
CONSENT_TEXTS = {
    ("2026-11", "nb"): (
        "Jeg samtykker i at senteret jeg har valgt, lagrer det jeg skriver i dette skjemaet, "
        "også det jeg forteller om situasjonen min, for å kontakte meg og finne en gruppe til "
        "meg. Bare de ansatte ved senteret kan se det. Jeg kan når som helst trekke samtykket "
        "tilbake."
    ),
    ("2026-11", "en"): (
        "I agree that the centre I have chosen stores what I write in this form, including "
        "what I tell about my situation, to contact me and find a group for me. Only the "
        "centre's staff can see it. I can withdraw my consent at any time."
    ),
    ("2026-12", "nb"): (
        "Jeg samtykker i at senteret jeg har valgt, lagrer det jeg skriver i dette skjemaet, "
        "også det jeg forteller om situasjonen min, for å kontakte meg og finne en gruppe til "
        "meg. Bare de ansatte ved senteret kan lese det. En nasjonal administrator for "
        "nettstedet kan bare lese det etter å ha oppgitt en grunn, og det blir registrert. Jeg "
        "kan når som helst trekke samtykket tilbake."
    ),
    ("2026-12", "en"): (
        "I agree that the centre I have chosen stores what I write in this form, including "
        "what I tell about my situation, to contact me and find a group for me. Only the "
        "centre's staff can read it; a national administrator of the website can read it "
        "only after giving a reason, which is recorded. I can withdraw my consent at any time."
    ),
}


def store_consent_texts(apps, schema_editor):
    ConsentText = apps.get_model("intake", "ConsentText")
    for (version, language), text in CONSENT_TEXTS.items():
        ConsentText.objects.get_or_create(
            version=version, language=language, defaults={"text": text}
        )


def forms_so_far_were_in_bokmal(apps, schema_editor):
    # Until now the form was only offered in bokmål.
    Intake = apps.get_model("intake", "Intake")
    Intake.objects.filter(consent_language="").exclude(consent_version="").update(
        consent_language="nb"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0003_retention_and_anonymisation"),
        ("selvhjelp", "0003_message_type_and_person"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ConsentText",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.CharField(max_length=20, verbose_name="version")),
                ("language", models.CharField(max_length=10, verbose_name="language")),
                ("text", models.TextField(verbose_name="text")),
                (
                    "created",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="stored"),
                ),
            ],
            options={
                "verbose_name": "consent text",
                "verbose_name_plural": "consent texts",
                "ordering": ["-version", "language"],
            },
        ),
        migrations.CreateModel(
            name="ErasureRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "requested_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="asked"),
                ),
                ("reason", models.CharField(blank=True, max_length=300, verbose_name="reason")),
            ],
            options={
                "verbose_name": "erasure request",
                "verbose_name_plural": "erasure requests",
            },
        ),
        migrations.RemoveField(
            model_name="intake",
            name="applying_for_self",
        ),
        migrations.AddField(
            model_name="intake",
            name="consent_language",
            field=models.CharField(blank=True, max_length=10, verbose_name="consent text language"),
        ),
        migrations.AddField(
            model_name="intake",
            name="idle_notice_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="no activity noticed"
            ),
        ),
        migrations.AlterField(
            model_name="intake",
            name="consent_given_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="consent given"),
        ),
        migrations.AlterField(
            model_name="intake",
            name="consent_version",
            field=models.CharField(blank=True, max_length=20, verbose_name="consent text version"),
        ),
        migrations.AddConstraint(
            model_name="intake",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("consent_given_at__isnull", False),
                    ("anonymised_at__isnull", False),
                    _connector="OR",
                ),
                name="intake_has_consent",
            ),
        ),
        migrations.AddConstraint(
            model_name="consenttext",
            constraint=models.UniqueConstraint(
                fields=("version", "language"), name="unique_consent_text"
            ),
        ),
        migrations.AddField(
            model_name="erasurerequest",
            name="intake",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="erasure_request",
                to="intake.intake",
                verbose_name="intake",
            ),
        ),
        migrations.AddField(
            model_name="erasurerequest",
            name="requested_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="asked by",
            ),
        ),
        migrations.RunPython(store_consent_texts, migrations.RunPython.noop),
        migrations.RunPython(forms_so_far_were_in_bokmal, migrations.RunPython.noop),
    ]
