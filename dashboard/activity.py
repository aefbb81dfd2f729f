"""The dashboard's "recent activity" feed, merged from each app's own events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.dates import format_amount
from accounts.models import Account, LedgerEntry
from campaigns.selectors import campaign_events_for_account
from campaigns.states import Status
from contacts.selectors import import_activity_text, imports_for_account

# What a marketer follows in the feed; drafts, edits and quotes are the wizard's
# internal steps and would bury these.
MILESTONES = (
    Status.SCHEDULED,
    Status.CONFIRMED,
    Status.SENDING,
    Status.PAUSED,
    Status.COMPLETED,
    Status.CANCELED,
)


@dataclass(frozen=True)
class ActivityItem:
    when: datetime
    text: str
    url: str


def recent_activity(*, account: Account, limit: int = 10) -> list[ActivityItem]:
    """Latest credit movements, contact imports and campaign steps, newest first."""
    items = [
        ActivityItem(
            when=entry.created_at,
            text=_("%(kind)s: %(amount)s %(currency)s")
            % {
                "kind": entry.get_kind_display(),
                "amount": format_amount(entry.amount),
                "currency": account.currency,
            },
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
        for event in campaign_events_for_account(
            account=account, limit=limit, statuses=MILESTONES
        )
    ]
    items += [
        ActivityItem(
            when=contact_import.finished_at or contact_import.created_at,
            text=import_activity_text(contact_import),
            url=reverse("contacts:import", args=[contact_import.pk]),
        )
        for contact_import in imports_for_account(account=account)[:limit]
    ]
    return sorted(items, key=lambda item: item.when, reverse=True)[:limit]
