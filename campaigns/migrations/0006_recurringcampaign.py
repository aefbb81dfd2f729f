# Recurring campaigns (an RFC 5545 rule in an IANA zone), and each campaign's link
# to the recurring campaign and the run it was made for: one campaign per run.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('campaigns', '0005_sending'),
        ('contacts', '0002_import_format_lean_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='campaign',
            name='occurrence_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='occurrence'),
        ),
        migrations.CreateModel(
            name='RecurringCampaign',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('channel', models.CharField(choices=[('SMS', 'SMS'), ('RCS', 'RCS'), ('WHATSAPP', 'WhatsApp')], default='SMS', max_length=10, verbose_name='channel')),
                ('sender', models.CharField(blank=True, max_length=15, verbose_name='sender')),
                ('text', models.TextField(blank=True, verbose_name='message')),
                ('template_id', models.CharField(blank=True, max_length=200, verbose_name='template')),
                ('template_variables', models.JSONField(blank=True, default=dict, verbose_name='template variables')),
                ('unicode', models.BooleanField(default=False, verbose_name='force Unicode (UCS-2)')),
                ('transliterate_fields', models.BooleanField(default=False, verbose_name='transliterate personalization fields to GSM-7')),
                ('fallback', models.BooleanField(default=False, verbose_name='fall back to SMS')),
                ('fallback_text', models.TextField(blank=True, verbose_name='fallback SMS text')),
                ('simulation', models.BooleanField(default=False, verbose_name='simulation (no sending, no charge)')),
                ('goal_contact_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='recipients cap')),
                ('rrule', models.TextField(verbose_name='recurrence rule (RFC 5545)')),
                ('timezone', models.CharField(max_length=64, verbose_name='time zone')),
                ('starts_at', models.DateTimeField(verbose_name='starts')),
                ('ends_at', models.DateTimeField(blank=True, null=True, verbose_name='ends')),
                ('status', models.CharField(choices=[('ACTIVE', 'Active'), ('PAUSED', 'Paused'), ('ENDED', 'Ended')], default='ACTIVE', max_length=8, verbose_name='status')),
                ('next_run_at', models.DateTimeField(blank=True, null=True, verbose_name='next run')),
                ('last_run_at', models.DateTimeField(blank=True, null=True, verbose_name='last run')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('last_error_at', models.DateTimeField(blank=True, null=True, verbose_name='skipped run')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('ended_at', models.DateTimeField(blank=True, null=True, verbose_name='ended')),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='recurring_campaigns', to='accounts.account')),
                ('contact_list', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='recurring_campaigns', to='contacts.contactlist', verbose_name='contact list')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'recurring campaign',
                'verbose_name_plural': 'recurring campaigns',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='campaign',
            name='recurring',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='occurrences', to='campaigns.recurringcampaign', verbose_name='recurring campaign'),
        ),
        migrations.AddConstraint(
            model_name='campaign',
            constraint=models.UniqueConstraint(condition=models.Q(('recurring__isnull', False)), fields=('recurring', 'occurrence_at'), name='campaign_one_per_occurrence'),
        ),
        migrations.AddIndex(
            model_name='recurringcampaign',
            index=models.Index(fields=['status', 'next_run_at'], name='recurring_due'),
        ),
        migrations.AddConstraint(
            model_name='recurringcampaign',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['ACTIVE', 'PAUSED', 'ENDED'])), name='recurring_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='recurringcampaign',
            constraint=models.CheckConstraint(condition=models.Q(('channel__in', ['SMS', 'RCS', 'WHATSAPP'])), name='recurring_channel_valid'),
        ),
        migrations.AddConstraint(
            model_name='recurringcampaign',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'ACTIVE'), _negated=True), ('next_run_at__isnull', False), _connector='OR'), name='recurring_active_has_next_run'),
        ),
    ]
