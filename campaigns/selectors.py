"""Account-scoped campaign reads."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.errors import NotFound
from accounts.models import Account
from campaigns.models import Campaign


def campaign_get(*, account: Account, pk: int, for_update: bool = False) -> Campaign:
    """The account's campaign `pk`; another account's id is simply not found (404)."""
    campaigns = Campaign.objects.filter(account=account)
    if for_update:
        campaigns = campaigns.select_for_update(of=("self",))
    campaign = campaigns.select_related("contact_list").filter(pk=pk).first()
    if campaign is None:
        raise NotFound()
    return campaign


def campaigns_for_account(
    *, account: Account, status: str = "", channel: str = "", search: str = ""
) -> QuerySet[Campaign]:
    """The account's campaigns, newest first, optionally filtered."""
    campaigns = Campaign.objects.filter(account=account).select_related("contact_list")
    if status:
        campaigns = campaigns.filter(status=status)
    if channel:
        campaigns = campaigns.filter(channel=channel.upper())
    if search:
        campaigns = campaigns.filter(
            Q(name__icontains=search) | Q(description__icontains=search)
        )
    return campaigns.order_by("-created_at", "-id")
