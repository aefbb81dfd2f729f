"""Dates and numbers as the user's language writes them: `{{ campaign.scheduled_at|when }}`, `|when:"long"`, `|when:"date"`, `|when:"time"`,
`|when:"iso"` (for `<time datetime=...>`), `{{ amount|amount }}`, `{{ rate|percent }}`:
see `accounts.dates`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_percent
from django import template

from accounts.dates import Style, babel_locale, format_amount, format_when

register = template.Library()


@register.filter(name="when")
def when(value: datetime | date | None, style: Style = "datetime") -> str:
    return format_when(value, style)


@register.filter
def amount(value: Decimal | None) -> str:
    """An amount in cents with the language's separators ("1.234,50")."""
    return "" if value is None else format_amount(value)


@register.filter
def percent(value: float | None) -> str:
    """A fraction as a percentage in the active language ("97,5 %")."""
    if value is None:
        return ""
    return format_percent(value, "#,##0.#%", locale=babel_locale())
