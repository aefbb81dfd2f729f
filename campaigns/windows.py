"""A campaign's send window applied to its messages: which may be claimed now.

Each message carries its recipient's zone (`Message.tz`, from `messaging.zones`)
and the campaign counts its recipients per zone when it makes them
(`Campaign.zone_counts`): a campaign has a handful of zones, so the zones whose
window is open now are computed here in Python, and a claim filters on
`tz IN (open zones)`, one set-based condition on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from accounts.windows import SendWindow
from campaigns.models import Campaign
from messaging.models import Message, MessageStatus


@cache
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def window_of(campaign: Campaign) -> SendWindow | None:
    return SendWindow.from_json(campaign.send_window)


def open_zones(
    window: SendWindow, zones: list[str], *, now: datetime | None = None
) -> list[str]:
    """The zones among `zones` where it is now inside the window."""
    now = now or timezone.now()
    return [zone for zone in zones if window.is_open(now.astimezone(zone_info(zone)))]


def claim_filter(campaign: Campaign, *, now: datetime | None = None) -> Q | None:
    """The condition a claim adds for this campaign now, or None for "any message".

    Messages outside their recipient's window, and during a canary the messages
    outside the slice, are not claimable: they stay QUEUED (so the campaign does
    not complete) until a later claim finds them open.
    """
    only = Q()
    window = window_of(campaign)
    if window is not None:
        only &= Q(tz__in=open_zones(window, list(campaign.zone_counts), now=now))
    if campaign.canary and campaign.canary_passed_at is None:
        only &= Q(canary=True)
    return only or None


def waiting_for_window(campaign: Campaign, *, queued: int) -> int:
    """How many of the `queued` messages wait for their window to open."""
    window = window_of(campaign)
    if window is None or not queued:
        return 0
    zones = list(campaign.zone_counts)
    opened = open_zones(window, zones)
    if not opened:
        return queued
    if len(opened) == len(zones):
        return 0
    return (
        Message.objects.filter(campaign_id=campaign.pk, status=MessageStatus.QUEUED)
        .exclude(tz__in=opened)
        .count()
    )


def zones_count(rows: Counter) -> dict[str, int]:
    """`zone_counts` as stored: the largest zones first (the page lists them)."""
    return dict(rows.most_common())
