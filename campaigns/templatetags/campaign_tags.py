"""Template helpers for campaign pages."""

from __future__ import annotations

from django import template

from campaigns.forecast import duration_text
from campaigns.recurrence import describe
from campaigns.states import Status
from messaging.models import Channel
from messaging.pricing import estimated_duration

register = template.Library()


@register.filter
def status_label(code: str) -> str:
    """The translated name of a status code, as history rows store bare codes."""
    try:
        return Status(code).label
    except ValueError:
        return code


@register.filter
def channel_label(code: str) -> str:
    """A channel's name ("WHATSAPP" -> "WhatsApp")."""
    try:
        return str(Channel(code).label)
    except ValueError:
        return code


@register.filter
def sending_time(messages: int | None) -> str:
    """How long sending takes, in the reader's language (the quote stores English)."""
    return estimated_duration(messages or 0)


@register.filter
def quote_duration(quote: dict) -> str:
    """The quote's sending time in the reader's language: the quote keeps the
    words of whoever calculated it, and the seconds beside them."""
    forecast = quote.get("forecast") or {}
    if "estimatedDurationSeconds" in forecast:
        return duration_text(forecast["estimatedDurationSeconds"])
    return quote.get("estimatedDuration", "")


@register.filter
def schedule_words(rule: str) -> str:
    """A recurrence rule in the reader's words ("Every Monday at 08:00"), or ""."""
    return describe(rule)
