"""A visit a member asks for, who comes to which meeting, and declines."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('facilitators', '0003_start_up_follow_up'),
        ('groups', '0004_member_links_absences_rhythm'),
    ]

    operations = [
        migrations.AddField(
            model_name='followup',
            name='asked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='asked for'),
        ),
        migrations.AddField(
            model_name='followup',
            name='asked_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='visit_requests', to='groups.membership', verbose_name='asked for by'),
        ),
        migrations.AddField(
            model_name='followup',
            name='meeting',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='visits', to='groups.meeting', verbose_name='meeting visited'),
        ),
        migrations.AddField(
            model_name='followup',
            name='visitor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='visits', to='facilitators.facilitator', verbose_name='visitor'),
        ),
        migrations.CreateModel(
            name='VisitDecline',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('note', models.CharField(blank=True, help_text='Short and practical; never health details about anyone.', max_length=300, verbose_name='note to staff')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='declined')),
                ('facilitator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='facilitators.facilitator', verbose_name='facilitator')),
                ('follow_up', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='declines', to='facilitators.followup', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'declined visit',
                'verbose_name_plural': 'declined visits',
                'ordering': ['created_at', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('follow_up', 'facilitator'), name='one_decline_per_facilitator')],
            },
        ),
    ]
