"""Withdrawal links name a random key instead of the form's sequential id."""

import uuid

from django.db import migrations, models


def give_every_form_a_key(apps, schema_editor):
    Intake = apps.get_model("intake", "Intake")
    forms = list(Intake.objects.only("pk"))
    for form in forms:
        form.withdrawal_key = uuid.uuid4()
    Intake.objects.bulk_update(forms, ["withdrawal_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_phone_registration_and_merging"),
    ]

    operations = [
        migrations.AddField(
            model_name="intake",
            name="withdrawal_key",
            field=models.UUIDField(editable=False, null=True, verbose_name="withdrawal key"),
        ),
        migrations.RunPython(give_every_form_a_key, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="intake",
            name="withdrawal_key",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="withdrawal key"
            ),
        ),
    ]
