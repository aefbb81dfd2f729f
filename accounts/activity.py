"""The dashboard's "recent activity" feed, merged from each app's own events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from accounts.models import Account, LedgerEntry
from campaigns.selectors import campaign_events_for_account
from campaigns.states import Status


@dataclass(frozen=True)
class ActivityItem:
    when: datetime
    text: str
    url: str


def recent_activity(*, account: Account, limit: int = 10) -> list[ActivityItem]:
    """Latest credit movements and campaign steps (later: imports), newest first."""
    items = [
        ActivityItem(
            when=entry.created_at,
            text=f"{entry.get_kind_display()}: {entry.amount:.2f} {account.currency}",
            url="/account/",
        )
        for entry in LedgerEntry.objects.filter(account=account).order_by("-id")[:limit]
    ]
    items += [
        ActivityItem(
            when=event.created_at,
            text=_("Campaign “%(name)s”: %(status)s")
            % {"name": event.campaign.name, "status": Status(event.to_status).label},
            url=event.campaign.get_absolute_url(),
        )
        for event in campaign_events_for_account(account=account, limit=limit)
    ]
    return sorted(items, key=lambda item: item.when, reverse=True)[:limit]
