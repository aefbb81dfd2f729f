"""The dashboard's "recent activity" feed, merged from each app's own events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accounts.models import Account, LedgerEntry


@dataclass(frozen=True)
class ActivityItem:
    when: datetime
    text: str
    url: str


def recent_activity(*, account: Account, limit: int = 10) -> list[ActivityItem]:
    """Latest credit movements (later: imports and campaigns), newest first."""
    items = [
        ActivityItem(
            when=entry.created_at,
            text=f"{entry.get_kind_display()}: {entry.amount:.2f} {account.currency}",
            url="/account/",
        )
        for entry in LedgerEntry.objects.filter(account=account).order_by("-id")[:limit]
    ]
    return sorted(items, key=lambda item: item.when, reverse=True)[:limit]
