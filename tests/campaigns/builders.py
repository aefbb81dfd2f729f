"""Campaigns built through the real services, at the lifecycle step a test needs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Account
from campaigns import sending
from campaigns.models import Campaign
from campaigns.services import campaign_calculate, campaign_confirm, campaign_create
from contacts.models import ContactList

TEXT = "Saldi di primavera: -30% su tutto fino a domenica. Codice SPRING."


def configured(account: Account, contact_list: ContactList, **data: Any) -> Campaign:
    """A CONFIGURED SMS campaign to `contact_list`."""
    values = {"name": "Primavera", "text": TEXT, "contact_list": contact_list}
    return campaign_create(account=account, **{**values, **data})


def priced(account: Account, contact_list: ContactList, **data: Any) -> Campaign:
    """A COST_CALCULATED campaign."""
    campaign = configured(account, contact_list, **data)
    return campaign_calculate(account=account, pk=campaign.pk)


def scheduled(account: Account, contact_list: ContactList, **data: Any) -> Campaign:
    """A SCHEDULED campaign, a day ahead, its price reserved."""
    campaign = priced(account, contact_list, **data)
    when = timezone.now() + timedelta(days=1)
    return campaign_confirm(account=account, pk=campaign.pk, scheduled_at=when)


def submitted(account: Account, contact_list: ContactList, **data: Any) -> Campaign:
    """A SENDING campaign whose first batch the route took; with a long
    `SIMULATOR_MIN_DELAY` no report has come yet."""
    campaign = priced(account, contact_list, **data)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_start(campaign_id=campaign.pk)
    sending.campaign_send_batch(campaign_id=campaign.pk)
    return campaign
