"""Template tags of the contacts app for shared pages (the dashboard card)."""

from __future__ import annotations

from typing import TypedDict

from django import template
from django.db.models import Count, Sum

from accounts.models import Account
from contacts.selectors import contact_lists_for_account

register = template.Library()


class ContactsOverview(TypedDict):
    lists: int
    valid: int


@register.simple_tag
def contacts_overview(account: Account) -> ContactsOverview:
    """How many lists the account has and how many valid numbers they hold."""
    totals = contact_lists_for_account(account=account).aggregate(
        lists=Count("pk"), valid=Sum("valid_count")
    )
    return {"lists": totals["lists"], "valid": totals["valid"] or 0}
