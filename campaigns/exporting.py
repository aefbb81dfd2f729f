"""A campaign's per-recipient results as a CSV download, streamed in chunks."""

from __future__ import annotations

from itertools import chain

from django.http import StreamingHttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from contacts.exporting import csv_lines
from messaging.models import Message

_FIELDS = (
    "phone",
    "status",
    "parts",
    "price",
    "error_code",
    "error_reason",
    "created_at",
    "submitted_at",
    "finished_at",
    "client_ref",
    "provider_id",
    "channel",
)


def messages_export_response(campaign: Campaign) -> StreamingHttpResponse:
    """Every message of the campaign, in send order, one CSV row each."""
    header = [
        _("phone"),
        _("status"),
        _("parts"),
        _("price"),
        _("error code"),
        _("error"),
        _("queued at"),
        _("sent at"),
        _("finished at"),
        _("our reference"),
        _("provider id"),
        _("channel"),
    ]
    rows = (
        Message.objects.filter(campaign=campaign)
        .order_by("id")
        .values_list(*_FIELDS)
        .iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(
        csv_lines(chain([header], rows)), content_type="text/csv; charset=utf-8"
    )
    name = slugify(campaign.name) or f"campaign-{campaign.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}-messages.csv"'
    return response
