"""Delivery statistics of a campaign, from its tallies: a few rows at any size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

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

    @property
    def estimated_completion(self) -> datetime | None:
        """When the last message should leave, at the rate observed so far."""
        started = self.campaign.started_at
        if not started or self.campaign.status not in STARTED:
            return None
        if self.campaign.completed_at:
            return self.campaign.completed_at
        elapsed = (timezone.now() - started).total_seconds()
        if not self.sent or elapsed <= 0:
            return None
        remaining = self.queued / (self.sent / elapsed)
        return timezone.now() + timedelta(seconds=remaining)


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
