"""`template` becomes `message_type`, and each message records the person it went to.

The person is backfilled for the rows already written: a receipt is about
the form itself, a member's messages are about their membership or carry
its id as the last part of their de-duplication key (the last time a key is
read back: new rows are written with the person), a facilitator's are about
the facilitator or one of their assignments, a digest names its staff user.
"""

import re

import django.db.models.deletion
from django.db import migrations, models

MEMBER_KEYS = re.compile(
    r"^(group-cancelled|group-place-changed|group-meeting-cancelled|group-meeting-moved):.*:(\d+)$"
)
DIGEST_KEY = re.compile(r"^staff-digest:\d+:[\d-]+:(\d+)$")


def backfill_person(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    OutboundMessage = apps.get_model("selvhjelp", "OutboundMessage")
    Intake = apps.get_model("intake", "Intake")
    Membership = apps.get_model("groups", "Membership")
    Facilitator = apps.get_model("facilitators", "Facilitator")
    Assignment = apps.get_model("facilitators", "Assignment")
    User = apps.get_model("auth", "User")

    def content_type(model):
        return ContentType.objects.get_or_create(
            app_label=model._meta.app_label, model=model._meta.model_name
        )[0]

    types = {model: content_type(model) for model in (Intake, Membership, Facilitator, Assignment)}
    by_id = {ct.pk: model for model, ct in types.items()}
    user_type = content_type(User)
    memberships = dict(Membership.objects.values_list("pk", "intake_id"))
    assignments = dict(Assignment.objects.values_list("pk", "facilitator_id"))
    for message in OutboundMessage.objects.filter(person_id__isnull=True).iterator():
        about = by_id.get(message.content_type_id)
        person = None
        if about is Intake:
            person = (types[Intake], message.object_id)
        elif about is Membership and message.object_id in memberships:
            person = (types[Intake], memberships[message.object_id])
        elif about is Facilitator:
            person = (types[Facilitator], message.object_id)
        elif about is Assignment and message.object_id in assignments:
            person = (types[Facilitator], assignments[message.object_id])
        elif match := MEMBER_KEYS.match(message.dedup_key):
            intake_id = memberships.get(int(match.group(2)))
            person = (types[Intake], intake_id) if intake_id else None
        elif match := DIGEST_KEY.match(message.dedup_key):
            person = (user_type, int(match.group(1)))
        if person is not None:
            message.person_type, message.person_id = person
            message.save(update_fields=["person_type", "person_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("facilitators", "0002_assignments_and_follow_ups"),
        ("groups", "0001_initial"),
        ("intake", "0003_retention_and_anonymisation"),
        ("selvhjelp", "0002_message_opt_out"),
    ]

    operations = [
        migrations.RenameField(
            model_name="outboundmessage", old_name="template", new_name="message_type"
        ),
        migrations.RemoveConstraint(model_name="messageoptout", name="unique_message_opt_out"),
        migrations.RenameField(
            model_name="messageoptout", old_name="template", new_name="message_type"
        ),
        migrations.AddConstraint(
            model_name="messageoptout",
            constraint=models.UniqueConstraint(
                fields=("content_type", "object_id", "message_type"),
                name="unique_message_opt_out",
            ),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="person_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="person_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AddIndex(
            model_name="outboundmessage",
            index=models.Index(fields=["person_type", "person_id"], name="outbox_person"),
        ),
        migrations.RunPython(backfill_person, migrations.RunPython.noop),
    ]
