"""Account-scoped campaign reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.digits import as_id
from accounts.errors import DomainError, one_or_not_found
from accounts.models import Account, LedgerEntry, LedgerKind
from accounts.money import to_cents
from accounts.search import accent_insensitive
from campaigns.models import Campaign, CampaignEvent, RecurringCampaign
from campaigns.states import ACTIVE, RecurringStatus, Status
from campaigns.stats import Counts
from contacts.models import Contact, ContactList, ContactStatus
from contacts.paging import KeysetPage, keyset_page
from messaging.models import Message, MessageStatus, MessageTally


def campaign_get(*, account: Account, pk: int, for_update: bool = False) -> Campaign:
    """The account's campaign `pk`; another account's id is simply not found (404)."""
    campaigns = Campaign.objects.filter(account=account)
    if for_update:
        campaigns = campaigns.select_for_update(of=("self",))
    return one_or_not_found(campaigns.select_related("contact_list"), pk=pk)


def campaigns_for_account(
    *, account: Account, status: str = "", channel: str = "", search: str = ""
) -> QuerySet[Campaign]:
    """The account's campaigns, newest first, optionally filtered."""
    campaigns = Campaign.objects.filter(account=account).select_related("contact_list")
    if status:
        campaigns = campaigns.filter(status=status)
    if channel:
        campaigns = campaigns.filter(channel=channel.upper())
    if search:
        campaigns = campaigns.filter(
            accent_insensitive(("name", "description"), search)
        )
    return campaigns.order_by("-created_at", "-id")


def campaign_events_for_account(
    *, account: Account, limit: int = 10, statuses: Iterable[str] | None = None
) -> list[CampaignEvent]:
    """The account's latest campaign transitions, newest first (dashboard activity),
    optionally only those into `statuses`."""
    events = CampaignEvent.objects.filter(campaign__account=account).select_related(
        "campaign"
    )
    if statuses is not None:
        events = events.filter(to_status__in=list(statuses))
    return list(events.order_by("-created_at", "-id")[:limit])


def campaign_overview(*, account: Account, days: int = 30) -> dict:
    """What a marketer checks first: campaigns running or scheduled, the latest
    one, and over the last `days` messages sent, the share delivered and the spend.

    Sent = handed to a route (any outcome after it), as the campaign's own stats
    count it; simulations left out as they cost nothing; spend = what was
    captured from the credit. Read from tallies, not messages: an account that
    sent ten million messages this month opens its dashboard as fast as a new one.
    """
    campaigns = Campaign.objects.filter(account=account)
    since = timezone.now() - timedelta(days=days)
    counts = Counts.of(_sent_since(account=account, since=since))
    spend = LedgerEntry.objects.filter(
        account=account, kind=LedgerKind.CAPTURE, created_at__gte=since
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return {
        "active": campaigns.filter(status__in=ACTIVE).count(),
        "running": campaigns.filter(status=Status.SENDING).count(),
        "scheduled": campaigns.filter(
            status__in=[Status.SCHEDULED, Status.CONFIRMED]
        ).count(),
        "last": campaigns.order_by("-created_at", "-id").first(),
        "days": days,
        "sent": counts.sent,
        "delivery_rate": counts.delivered / counts.sent if counts.sent else None,
        "spend": to_cents(spend),
    }


def _sent_since(*, account: Account, since) -> Counter[str]:
    """The account's messages sent since `since`, by status.

    A campaign started since then counts whole, from its tallies (a few rows);
    one started before and still sending since (rare: over `days` long) and the
    single and test sends (a partial index of their own) count the messages
    submitted since.
    """
    started = Campaign.objects.filter(
        account=account, simulation=False, started_at__isnull=False
    )
    by_status: Counter[str] = Counter()
    tallies = MessageTally.objects.filter(
        campaign__in=started.filter(started_at__gte=since)
    )
    rows = tallies.values_list("status").annotate(n=Sum("count")).order_by()
    for status, n in rows:
        by_status[status] += n
    straddling = list(
        started.filter(started_at__lt=since)
        .filter(Q(completed_at__isnull=True) | Q(completed_at__gte=since))
        .values_list("pk", flat=True)
    )
    for messages in (
        Message.objects.filter(campaign_id__in=straddling),
        Message.objects.filter(account=account, campaign__isnull=True),
    ):
        rows = messages.filter(submitted_at__gte=since).values_list("status")
        for status, n in rows.annotate(n=Count("id")).order_by():
            by_status[status] += n
    return by_status


def preview_contacts(*, contact_list: ContactList, limit: int = 3) -> list[Contact]:
    """The first valid contacts of a list: the real people the composer previews."""
    contacts = Contact.objects.filter(
        contact_list=contact_list, status=ContactStatus.VALID
    )
    return list(contacts.order_by("id")[:limit])


def campaign_messages_page(
    *, campaign: Campaign, status: str = "", after: str | None = None, size: int = 100
) -> KeysetPage[Message]:
    """A page of the campaign's messages in send order, optionally of one status.

    A DomainError names what is wrong with `status` or `after`.
    """
    messages = Message.objects.filter(campaign=campaign)
    if status:
        wanted = status.upper()
        if wanted not in MessageStatus.values:
            raise DomainError(
                {"status": "Use one of " + ", ".join(MessageStatus.values)}
            )
        messages = messages.filter(status=wanted)
    cursor = as_id(after) if after else None
    if after and cursor is None:
        raise DomainError({"cursor": "Invalid cursor"})
    return keyset_page(messages, after=cursor, size=size)


def recurring_get(
    *, account: Account, pk: int, for_update: bool = False
) -> RecurringCampaign:
    """The account's recurring campaign `pk`; another account's id is not found."""
    rows = RecurringCampaign.objects.filter(account=account)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    return one_or_not_found(rows.select_related("contact_list"), pk=pk)


def occurrences_with_reasons() -> QuerySet[Campaign]:
    """Occurrences, newest run first, each with `skip_reason`: the note of its
    cancellation when the runner skipped it (empty otherwise)."""
    reason = CampaignEvent.objects.filter(
        campaign=OuterRef("pk"), to_status=Status.CANCELED
    ).values("note")[:1]
    return Campaign.objects.annotate(skip_reason=Subquery(reason)).order_by(
        "-occurrence_at", "-id"
    )


def recurring_for_account(
    *, account: Account, occurrences: int = 0
) -> QuerySet[RecurringCampaign]:
    """The account's recurring campaigns, newest first; with `occurrences` > 0,
    `latest_occurrences` holds that many of each one's latest runs."""
    rows = RecurringCampaign.objects.filter(account=account).select_related(
        "contact_list"
    )
    if occurrences:
        latest = occurrences_with_reasons()[:occurrences]
        rows = rows.prefetch_related(
            Prefetch("occurrences", queryset=latest, to_attr="latest_occurrences")
        )
    return rows.order_by("-created_at", "-id")


def recurring_overview(*, account: Account) -> dict:
    """The dashboard card: how many run, and those whose latest run was skipped."""
    rows = RecurringCampaign.objects.filter(account=account)
    skipped = rows.exclude(last_error="").order_by("-last_error_at", "-id")
    return {
        "active": rows.filter(status=RecurringStatus.ACTIVE).count(),
        "skipped": list(skipped[:5]),
    }


def campaigns_paused_with_reason(*, account: Account) -> list[Campaign]:
    """The dashboard's alerts: campaigns paused by the system (a failed canary, a
    rising failure rate), with the reason, newest first."""
    return list(
        Campaign.objects.filter(account=account, status=Status.PAUSED)
        .exclude(status_reason="")
        .order_by("-updated_at")[:5]
    )
