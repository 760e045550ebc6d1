"""`Group.first_meeting` is the day meeting no. 1 was planned for: `planned_start`."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="group", old_name="first_meeting", new_name="planned_start"),
        migrations.AlterField(
            model_name="group",
            name="planned_start",
            field=models.DateField(verbose_name="first meeting as planned"),
        ),
        migrations.AlterModelOptions(
            name="group",
            options={
                "ordering": ["-planned_start", "name"],
                "verbose_name": "group",
                "verbose_name_plural": "groups",
            },
        ),
    ]
