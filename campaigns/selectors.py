"""Account-scoped campaign reads."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.errors import DomainError, one_or_not_found
from accounts.models import Account
from campaigns.models import Campaign, CampaignEvent, RecurringCampaign
from campaigns.states import ACTIVE, RecurringStatus, Status
from contacts.models import Contact, ContactList, ContactStatus
from contacts.paging import KeysetPage, keyset_page
from messaging.models import Message, MessageStatus


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
            Q(name__icontains=search) | Q(description__icontains=search)
        )
    return campaigns.order_by("-created_at", "-id")


def campaign_events_for_account(
    *, account: Account, limit: int = 10
) -> list[CampaignEvent]:
    """The account's latest campaign transitions, newest first (dashboard activity)."""
    events = CampaignEvent.objects.filter(campaign__account=account).select_related(
        "campaign"
    )
    return list(events.order_by("-created_at", "-id")[:limit])


def campaign_overview(*, account: Account) -> dict:
    """What the dashboard card shows: active campaigns and the latest one."""
    campaigns = Campaign.objects.filter(account=account)
    return {
        "active": campaigns.filter(status__in=ACTIVE).count(),
        "last": campaigns.order_by("-created_at", "-id").first(),
    }


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
    if after is not None and not (after.isdigit() and int(after) < 2**63):
        raise DomainError({"cursor": "Invalid cursor"})
    return keyset_page(messages, after=int(after) if after else None, size=size)


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
