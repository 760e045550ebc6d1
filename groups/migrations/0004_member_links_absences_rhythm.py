"""Members' personal links, notices of absence and every-other-week rhythms."""

import django.db.models.deletion
import django.utils.timezone
import groups.models
from django.conf import settings
from django.db import migrations, models


def give_each_member_a_token(apps, schema_editor):
    Membership = apps.get_model("groups", "Membership")
    for membership in Membership.objects.filter(link_token__isnull=True).only("pk"):
        membership.link_token = groups.models.new_member_token()
        membership.save(update_fields=["link_token"])


class Migration(migrations.Migration):

    dependencies = [
        ('groups', '0003_invitations_held'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='meeting',
            name='off_rhythm',
            field=models.BooleanField(default=False, verbose_name="not in the group's rhythm"),
        ),
        migrations.AddField(
            model_name='membership',
            name='left_by_member',
            field=models.BooleanField(default=False, verbose_name='left through their link'),
        ),
        # Every existing member gets a token of their own: added empty, filled
        # one by one, then made unique and required.
        migrations.AddField(
            model_name='membership',
            name='link_token',
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name='link key'),
        ),
        migrations.RunPython(give_each_member_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='membership',
            name='link_token',
            field=models.CharField(default=groups.models.new_member_token, editable=False, max_length=64, unique=True, verbose_name='link key'),
        ),
        migrations.CreateModel(
            name='Absence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reported_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='told the group')),
                ('taken_back_at', models.DateTimeField(blank=True, null=True, verbose_name='took it back')),
                ('revision', models.PositiveSmallIntegerField(default=0, editable=False)),
                ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='absences', to='groups.meeting', verbose_name='meeting')),
                ('membership', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='absences', to='groups.membership', verbose_name='member')),
            ],
            options={
                'verbose_name': 'notice of absence',
                'verbose_name_plural': 'notices of absence',
                'ordering': ['meeting__start', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('membership', 'meeting'), name='one_absence_per_member_and_meeting')],
            },
        ),
        migrations.CreateModel(
            name='RhythmChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_on', models.DateField(verbose_name='from')),
                ('every_weeks', models.PositiveSmallIntegerField(choices=[(1, 'Every week'), (2, 'Every other week')], verbose_name='meets')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='changed')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
                ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rhythm_changes', to='groups.group', verbose_name='group')),
            ],
            options={
                'verbose_name': 'change of rhythm',
                'verbose_name_plural': 'changes of rhythm',
                'ordering': ['starts_on', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('group', 'starts_on'), name='one_rhythm_change_a_day'), models.CheckConstraint(condition=models.Q(('every_weeks__in', [1, 2])), name='rhythm_weekly_or_fortnightly')],
            },
        ),
    ]
