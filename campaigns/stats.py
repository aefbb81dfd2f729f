"""Delivery statistics of a campaign, from its tallies: a few rows at any size.

Every figure counts messages. A campaign with SMS fallback has two per recipient
who fell back (the RCS/WhatsApp one and the SMS), so its totals are split by
channel too (`channels`), and `fallbacks` says how many SMS were made;
`recipients` is the number of messages in the campaign's own channel (one per
recipient).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from campaigns.forecast import remaining_forecast
from campaigns.models import Campaign
from campaigns.states import STARTED
from messaging.models import Channel
from messaging.models import MessageStatus as S
from messaging.tallies import counters_for


@dataclass(frozen=True)
class Counts:
    total: int = 0
    queued: int = 0
    sent: int = 0  # left our servers: the route took or refused them (the guide)
    awaiting: int = 0  # taken by the route, no final report yet
    delivered: int = 0
    undelivered: int = 0  # reported undelivered or expired
    rejected: int = 0  # refused by the route at submission, or failed
    skipped: int = 0  # opted out after confirmation
    canceled: int = 0  # not sent because the campaign was stopped

    @classmethod
    def of(cls, counts: dict[str, int]) -> Counts:
        get = counts.get
        return cls(
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
        )

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


@dataclass(frozen=True)
class CampaignStats(Counts):
    campaign: Campaign | None = None
    # Channel ("SMS", "RCS", "WHATSAPP") -> its messages' counts.
    channels: dict[str, Counts] = field(default_factory=dict)
    # Messages handed to each route (route key -> count): the split after failover.
    by_route: dict[str, int] = field(default_factory=dict)

    @property
    def recipients(self) -> int:
        """Messages in the campaign's own channel: one per recipient."""
        own = self.channels.get(self.campaign.channel)
        return own.total if own else 0

    @property
    def fallbacks(self) -> int:
        """SMS made for recipients the campaign's RCS/WhatsApp could not reach."""
        if self.campaign.channel == Channel.SMS:
            return 0
        sms = self.channels.get(Channel.SMS)
        return sms.total if sms else 0

    @property
    def cost(self) -> Decimal:
        """What the campaign costs the account: captured once it is over (nothing
        for a canceled one), else what is held for it; a simulation moves no
        credit and costs nothing."""
        if self.campaign.simulation:
            return Decimal()
        if self.campaign.status in {
            Campaign.Status.COMPLETED,
            Campaign.Status.CANCELED,
        }:
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
        if self.campaign.status == Campaign.Status.PAUSED:
            return None  # nothing moves until it is resumed
        return remaining_forecast(self.campaign, queued=self.queued)


def campaign_stats(campaign: Campaign) -> CampaignStats:
    by_channel, by_route = counters_for(campaign.pk)
    every: dict[str, int] = {}
    for counts in by_channel.values():
        for status, n in counts.items():
            every[status] = every.get(status, 0) + n
    total = Counts.of(every)
    return CampaignStats(
        **{name: getattr(total, name) for name in Counts.__dataclass_fields__},
        campaign=campaign,
        channels={
            channel: Counts.of(counts)
            for channel, counts in sorted(
                by_channel.items(), key=lambda item: item[0] != campaign.channel
            )
        },
        by_route=by_route,
    )
