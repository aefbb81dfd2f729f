"""A campaign's per-recipient results as a download: CSV streamed, or XLSX."""

from __future__ import annotations

from itertools import chain

from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from contacts.exporting import Format, tabular_response
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


def messages_export_response(
    campaign: Campaign, fmt: Format = "csv"
) -> StreamingHttpResponse | FileResponse:
    """Every message of the campaign, in send order, one row each (CSV or XLSX)."""
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
    name = slugify(campaign.name) or f"campaign-{campaign.pk}"
    return tabular_response(chain([header], rows), filename=f"{name}-messages", fmt=fmt)
