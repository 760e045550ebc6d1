"""Issue 19: the access log, apart from the change history so that it can outlive a person."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_accesses_from_auditlog(apps, schema_editor):
    """Accesses were django-auditlog entries (action 3); now they are AccessEntry rows.

    Opening a page and exporting were one kind of entry there: they come over as "opened".
    """
    LogEntry = apps.get_model("auditlog", "LogEntry")
    AccessEntry = apps.get_model("selvhjelp", "AccessEntry")
    AccessedPerson = apps.get_model("selvhjelp", "AccessedPerson")
    old = LogEntry.objects.filter(action=3).select_related("actor").order_by("pk")
    for entry in old.iterator():
        access = AccessEntry.objects.create(
            at=entry.timestamp,
            actor=entry.actor,
            actor_name=entry.actor.username if entry.actor else "",
            action="opened",
            page="person",
        )
        if entry.object_pk and entry.object_pk.isdigit():
            AccessedPerson.objects.create(
                entry=access, person_type_id=entry.content_type_id, person_id=int(entry.object_pk)
            )
    old.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("selvhjelp", "0003_message_type_and_person"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="when"
                    ),
                ),
                (
                    "actor_name",
                    models.CharField(blank=True, max_length=150, verbose_name="user name"),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("opened", "Opened the person's page"),
                            ("listed", "Saw the person's name in a list"),
                            ("read_health", "Read the health information, giving a reason"),
                            ("exported", "Exported everything stored"),
                            ("erasure_asked", "Asked for the person's data to be erased"),
                            ("erasure_dropped", "Withdrew a request to erase"),
                            ("erased", "Erased the person's data"),
                        ],
                        max_length=20,
                        verbose_name="what",
                    ),
                ),
                (
                    "page",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("person", "the person's page"),
                            ("search", "search in the interest forms"),
                            ("theme", "interest forms filtered by theme"),
                            ("group", "a group's page"),
                            ("form_group", "forming a group"),
                            ("outbox", "the list of outgoing messages"),
                            ("export", "the export file"),
                            ("command", "a command on the server"),
                        ],
                        max_length=20,
                        verbose_name="where",
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=300, verbose_name="reason")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
            ],
            options={
                "verbose_name": "access",
                "verbose_name_plural": "access log",
                "ordering": ["-at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="AccessedPerson",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("person_id", models.PositiveBigIntegerField(blank=True, null=True)),
                (
                    "pseudonym",
                    models.CharField(blank=True, max_length=32, verbose_name="pseudonym"),
                ),
                (
                    "person_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="contenttypes.contenttype",
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="people",
                        to="selvhjelp.accessentry",
                    ),
                ),
            ],
            options={
                "verbose_name": "person accessed",
                "verbose_name_plural": "people accessed",
                "indexes": [
                    models.Index(fields=["person_type", "person_id"], name="accessed_person"),
                    models.Index(fields=["pseudonym"], name="accessed_pseudonym"),
                ],
            },
        ),
        migrations.RunPython(move_accesses_from_auditlog, migrations.RunPython.noop),
    ]
