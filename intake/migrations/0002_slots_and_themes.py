"""The 21 times of week, and a first list of themes staff can edit later."""

from django.db import migrations

PARTS = ["morning", "afternoon", "evening"]
# Stored in Norwegian: staff edit and extend this list in the admin.
THEMES = [
    "Angst og uro",
    "Depresjon og nedstemthet",
    "Sorg og tap",
    "Ensomhet",
    "Utbrenthet og stress",
    "Å leve med sykdom",
    "Pårørende eller omsorgsgiver",
    "Rus og avhengighet",
    "Problemer på jobb",
    "Livsendringer (samlivsbrudd, pensjon, flytting)",
]


def create(apps, schema_editor):
    Slot = apps.get_model("intake", "Slot")
    Theme = apps.get_model("intake", "Theme")
    for weekday in range(7):
        for part in PARTS:
            Slot.objects.get_or_create(weekday=weekday, part=part)
    for position, name in enumerate(THEMES):
        Theme.objects.get_or_create(name=name, defaults={"position": position})
    Theme.objects.get_or_create(name="Noe annet", defaults={"is_other": True, "position": 99})


def remove(apps, schema_editor):
    apps.get_model("intake", "Slot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
