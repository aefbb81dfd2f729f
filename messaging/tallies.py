"""Per-campaign message counts by status, moved in the transactions that move messages."""

from __future__ import annotations

from collections import Counter

from django.db.models import F

from messaging.models import MessageTally

# (campaign id, status) -> change in count
Deltas = Counter[tuple[int, str]]


def tallies_apply(deltas: Deltas) -> None:
    """Add `deltas`; call inside the transaction that changed the messages.

    One UPDATE (or INSERT) per campaign and status touched, however many messages
    moved: a batch of 5,000 receipts for one campaign is a handful of statements.
    """
    for (campaign_id, status), change in sorted(deltas.items()):
        if not change or campaign_id is None:
            continue
        updated = MessageTally.objects.filter(
            campaign_id=campaign_id, status=status
        ).update(count=F("count") + change)
        if not updated:
            _tally, created = MessageTally.objects.get_or_create(
                campaign_id=campaign_id, status=status, defaults={"count": change}
            )
            if not created:
                MessageTally.objects.filter(
                    campaign_id=campaign_id, status=status
                ).update(count=F("count") + change)


def tallies_for(campaign_id: int) -> dict[str, int]:
    """The campaign's counts by status (a few rows, whatever its size)."""
    return dict(
        MessageTally.objects.filter(campaign_id=campaign_id).values_list(
            "status", "count"
        )
    )
