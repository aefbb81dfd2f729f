"""Per-campaign message counts by status, moved in the transactions that move messages."""

from __future__ import annotations

from collections import Counter

from django.db.models import F
from django.utils import timezone

from messaging.models import MessageTally, MessageTimeline, RouteTally

# (campaign id, status) -> change in count
Deltas = Counter[tuple[int, str]]


def tallies_apply(deltas: Deltas) -> None:
    """Add `deltas`; call inside the transaction that changed the messages.

    One UPDATE (or INSERT) per campaign and status touched, however many messages
    moved: a batch of 5,000 receipts for one campaign is a handful of statements.
    """
    minute = timezone.now().replace(second=0, microsecond=0)
    for (campaign_id, status), change in sorted(deltas.items()):
        if not change or campaign_id is None:
            continue
        _add(MessageTally, change, campaign_id=campaign_id, status=status)
        if change > 0:
            _add(
                MessageTimeline,
                change,
                campaign_id=campaign_id,
                minute=minute,
                status=status,
            )


def _add(model, change: int, **key) -> None:
    """count += change on the row `key`, created at `change` if missing."""
    if model.objects.filter(**key).update(count=F("count") + change):
        return
    _row, created = model.objects.get_or_create(**key, defaults={"count": change})
    if not created:
        model.objects.filter(**key).update(count=F("count") + change)


def tallies_for(campaign_id: int) -> dict[str, int]:
    """The campaign's counts by status (a few rows, whatever its size)."""
    return dict(
        MessageTally.objects.filter(campaign_id=campaign_id).values_list(
            "status", "count"
        )
    )


def timeline_for(campaign_id: int) -> list[tuple]:
    """(minute, status, count) rows of the campaign, oldest first."""
    return list(
        MessageTimeline.objects.filter(campaign_id=campaign_id)
        .order_by("minute")
        .values_list("minute", "status", "count")
    )


def route_tallies_add(gateway: str, counts: Counter[int]) -> None:
    """Count messages of each campaign (id -> n) handed to route `gateway`."""
    for campaign_id, count in sorted(counts.items()):
        if count and campaign_id is not None:
            _add(RouteTally, count, campaign_id=campaign_id, gateway=gateway)


def route_tallies_for(campaign_id: int) -> dict[str, int]:
    """Messages by the route they went through: {"simulator": 10, "r3": 990}."""
    return dict(
        RouteTally.objects.filter(campaign_id=campaign_id)
        .order_by("gateway")
        .values_list("gateway", "count")
    )
