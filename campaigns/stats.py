"""Delivery statistics of a campaign, from its tallies: a few rows at any size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from campaigns.forecast import remaining_forecast
from campaigns.models import Campaign
from campaigns.states import STARTED
from messaging.models import MessageStatus as S
from messaging.tallies import route_tallies_for, tallies_for


@dataclass(frozen=True)
class CampaignStats:
    campaign: Campaign
    total: int
    queued: int
    sent: int  # left our servers: the route took or refused them (the guide)
    awaiting: int  # taken by the route, no final report yet
    delivered: int
    undelivered: int  # reported undelivered or expired
    rejected: int  # refused by the route at submission, or failed
    skipped: int  # opted out after confirmation
    canceled: int  # not sent because the campaign was stopped
    # Messages handed to each route (route key -> count): the split after failover.
    by_route: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return self.undelivered + self.rejected

    @property
    def pending(self) -> int:
        """Not sent yet (the guide's "pending")."""
        return self.queued

    @property
    def done(self) -> int:
        """Every message with a final status."""
        return self.total - self.queued - self.awaiting

    def rate(self, part: int) -> float:
        """`part` as a fraction of what was sent (0 before anything was)."""
        return part / self.sent if self.sent else 0.0

    @property
    def cost(self) -> Decimal:
        """What the campaign costs: captured once completed, else what is held."""
        if self.campaign.status == Campaign.Status.COMPLETED:
            return self.campaign.captured_amount
        return (
            self.campaign.reserved_amount or self.campaign.estimated_cost or Decimal()
        )

    @cached_property
    def estimated_completion(self) -> datetime | None:
        """When the last message should leave: what is left at the pace observed
        over the last minutes, through the send windows still ahead."""
        if not self.campaign.started_at or self.campaign.status not in STARTED:
            return None
        if self.campaign.completed_at:
            return self.campaign.completed_at
        return remaining_forecast(self.campaign, queued=self.queued)


def campaign_stats(campaign: Campaign) -> CampaignStats:
    counts = tallies_for(campaign.pk)
    get = counts.get
    return CampaignStats(
        campaign=campaign,
        total=sum(counts.values()),
        queued=get(S.QUEUED, 0),
        sent=get(S.SUBMITTED, 0)
        + get(S.DELIVERED, 0)
        + get(S.UNDELIVERED, 0)
        + get(S.EXPIRED, 0)
        + get(S.REJECTED, 0)
        + get(S.FAILED, 0),
        awaiting=get(S.SUBMITTED, 0),
        delivered=get(S.DELIVERED, 0),
        undelivered=get(S.UNDELIVERED, 0) + get(S.EXPIRED, 0),
        rejected=get(S.REJECTED, 0) + get(S.FAILED, 0),
        skipped=get(S.SKIPPED, 0),
        canceled=get(S.CANCELED, 0),
        by_route=route_tallies_for(campaign.pk),
    )
