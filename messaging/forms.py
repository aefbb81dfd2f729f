"""Dashboard forms of messaging: webhook endpoints."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import WebhookEventType
from messaging.webhooks import MAX_BATCH_SIZE


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Your HTTPS endpoint; it must answer 2xx within 10 seconds."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEventType.choices,
        initial=[WebhookEventType.MESSAGE_STATUS, WebhookEventType.CAMPAIGN_STATUS],
        widget=forms.CheckboxSelectMultiple,
    )
    batch_size = forms.IntegerField(
        label=_("Events per POST"),
        min_value=1,
        max_value=MAX_BATCH_SIZE,
        initial=1,
        help_text=_("1 sends each event on its own; more sends them in batches."),
    )
