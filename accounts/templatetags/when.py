"""`{{ campaign.scheduled_at|when }}`, `|when:"long"`, `|when:"date"`, `|when:"time"`,
`|when:"iso"` (for `<time datetime=...>`): see `accounts.dates`."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from accounts.dates import Style, format_when

register = template.Library()


@register.filter(name="when")
def when(value: datetime | date | None, style: Style = "datetime") -> str:
    return format_when(value, style)
