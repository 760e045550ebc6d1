"""The 21 times of week, and a first list of themes staff can edit later."""

from django.db import migrations

from intake.reference import ensure_reference_data


def create(apps, schema_editor):
    ensure_reference_data(apps.get_model("intake", "Slot"), apps.get_model("intake", "Theme"))


def remove(apps, schema_editor):
    apps.get_model("intake", "Slot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
