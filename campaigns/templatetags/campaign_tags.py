"""Template helpers for campaign pages and the dashboard card."""

from __future__ import annotations

from django import template

from accounts.models import Account
from campaigns.pricing import estimated_duration
from campaigns.selectors import campaign_overview
from campaigns.states import Status

register = template.Library()


@register.filter
def status_label(code: str) -> str:
    """The translated name of a status code, as history rows store bare codes."""
    try:
        return Status(code).label
    except ValueError:
        return code


@register.simple_tag
def campaigns_overview(account: Account) -> dict:
    """The dashboard card's figures (the dashboard view belongs to `accounts`)."""
    return campaign_overview(account=account)


@register.filter
def sending_time(messages: int | None) -> str:
    """How long sending takes, in the reader's language (the quote stores English)."""
    return estimated_duration(messages or 0)
