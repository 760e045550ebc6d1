"""The follow-up "after four meetings" is the start-up follow-up: the number is a setting."""

from django.db import migrations, models


def rename_kind(apps, schema_editor, old, new):
    FollowUp = apps.get_model("facilitators", "FollowUp")
    FollowUp.objects.filter(kind=old).update(kind=new)


class Migration(migrations.Migration):
    dependencies = [("facilitators", "0002_assignments_and_follow_ups")]

    operations = [
        migrations.RemoveConstraint(
            model_name="followup", name="one_follow_up_after_four_per_group"
        ),
        migrations.RunPython(
            lambda apps, editor: rename_kind(apps, editor, "after_four", "start_up"),
            lambda apps, editor: rename_kind(apps, editor, "start_up", "after_four"),
        ),
        migrations.AlterField(
            model_name="followup",
            name="kind",
            field=models.CharField(
                choices=[
                    ("start_up", "Follow-up after the first meetings"),
                    ("visit", "Visit the group asked for"),
                ],
                max_length=12,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="followup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "start_up")),
                fields=("group",),
                name="one_start_up_follow_up_per_group",
            ),
        ),
    ]
