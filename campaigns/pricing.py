"""The price step of a campaign: its quote against the account's credit."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.errors import Conflict
from accounts.models import Account
from accounts.money import to_cents
from campaigns.models import Campaign
from campaigns.states import PRICED
from messaging.models import Channel


def price_summary(campaign: Campaign) -> dict:
    """The price step: the quote against the account's credit now (both documents' names).

    Refused (409) until the cost is calculated: a price without a fresh quote
    would be a guess.
    """
    if campaign.status not in PRICED or campaign.estimated_cost is None:
        raise Conflict(
            {
                "status": _(
                    "Calculate the cost first (POST /campaigns/%(id)s/calculateGoal)."
                )
                % {"id": campaign.pk}
            }
        )
    account = Account.objects.only("balance", "currency").get(pk=campaign.account_id)
    price = campaign.estimated_cost
    # Once confirmed, the price is already held: compare with what it left.
    available = account.balance
    held = campaign.reserved_amount
    sufficient = campaign.simulation or available + held >= price
    return {
        "id": campaign.pk,
        "campaignId": campaign.pk,
        "totalRecipients": campaign.recipient_count or 0,
        "totalContacts": campaign.recipient_count or 0,
        "estimatedParts": campaign.estimated_parts or 0,
        "pricePerMessage": campaign.cost_per_message,
        "totalPrice": price,
        "estimatedCost": price,
        "currency": account.currency,
        "availableCredit": to_cents(available),
        "sufficient": sufficient,
        "creditAfter": to_cents(
            available + held - (0 if campaign.simulation else price)
        ),
        "breakdown": price_breakdown(campaign),
        "byCountry": campaign.quote.get("byCountry", []),
    }


def price_breakdown(campaign: Campaign) -> dict[str, dict]:
    """The guide's `breakdown`: count and cost per channel (`sms`, `rcs`, `whatsapp`).

    With SMS fallback, `sms` is the worst case (every recipient also gets the
    SMS), which is what the price reserves.
    """
    breakdown = {
        channel.lower(): {"count": 0, "cost": Decimal("0")}
        for channel in Channel.values
    }
    channels = campaign.quote.get("channels") or {
        campaign.channel.lower(): {
            "count": campaign.recipient_count or 0,
            "cost": str(campaign.estimated_cost or 0),
        }
    }
    for name, figures in channels.items():
        breakdown[name] = {"count": figures["count"], "cost": Decimal(figures["cost"])}
    return breakdown
