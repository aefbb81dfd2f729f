"""A campaign's per-recipient results as a download: CSV streamed, or XLSX."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import chain
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, Subquery
from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from contacts.exporting import Format, tabular_response
from contacts.models import Contact
from messaging.models import CHARGEABLE, Message

_FIELDS = (
    "phone",
    "first_name",
    "last_name",
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
        _("first name"),
        _("last name"),
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
    contact = Contact.objects.filter(pk=OuterRef("contact_id"))
    rows = (
        Message.objects.filter(campaign=campaign)
        .annotate(
            first_name=Subquery(contact.values("first_name")[:1]),
            last_name=Subquery(contact.values("last_name")[:1]),
        )
        .order_by("id")
        .values_list(*_FIELDS)
        .iterator(chunk_size=2000)
    )
    zone = ZoneInfo(campaign.account.timezone)
    name = slugify(campaign.name) or f"campaign-{campaign.pk}"
    return tabular_response(
        chain([header], (_row(row, zone) for row in rows)),
        filename=f"{name}-messages",
        fmt=fmt,
    )


_STATUS, _PRICE = _FIELDS.index("status"), _FIELDS.index("price")


def _row(row: tuple, zone: ZoneInfo) -> list:
    """One message as the file shows it: times in the account's zone (the file
    is read after the request that made it has gone), and nothing to pay for a
    message that ended unsent."""
    cells = [
        value.astimezone(zone) if isinstance(value, datetime) else value
        for value in row
    ]
    if cells[_STATUS] not in CHARGEABLE:
        cells[_PRICE] = Decimal("0")
    return cells
