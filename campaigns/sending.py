"""Sending a confirmed campaign: freeze its recipients, fan out, finish and settle.

1. `campaign_prepare` turns the confirmed recipients into QUEUED messages, once,
   in one transaction (a crash rolls it back and it runs again); the price of each
   message comes from the same rendering and price list as the quote.
2. `campaign_start` moves it to SENDING; `campaign_send_batch` (one Celery task
   per batch, `SEND_LANES` of them at a time) claims, submits and records a batch,
   then queues its successor while work remains.
3. `campaign_try_complete` finishes it when nothing is queued or awaiting a report
   (or the report timeout passed), capturing the price of what was submitted and
   releasing the rest in the same transaction as the status change, so a retry
   can never settle twice: captured + released == reserved, to the cent.

With SMS fallback (an RCS/WhatsApp campaign with `fallback`), preparing also
renders and prices each recipient's SMS as a draft (`messaging.fallback`); a
recipient whose message fails, or has no final report after `FALLBACK_WAIT`
seconds (beat checks), gets it queued in the campaign's own lanes. The campaign
completes only once no fallback can be made any more, and captures each
channel's submitted messages on its own ledger row.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from functools import partial
from uuid import uuid4

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.credit import credit_capture, credit_release, credit_reserve
from accounts.errors import DomainError, InsufficientCredit
from accounts.models import Account
from accounts.money import to_cents
from campaigns.models import Campaign
from campaigns.quotes import has_fallback, recipient_messages, recipients
from campaigns.selectors import campaign_get
from campaigns.services import campaign_cancel
from campaigns.states import Status
from campaigns.transitions import InvalidTransition, campaign_transition
from messaging import dispatch, fallback, ratelimit
from messaging.gateways import gateway_get
from messaging.models import SUBMITTED, Channel, FallbackDraft, Message, MessageStatus
from messaging.pricing import PriceBook
from messaging.tallies import tallies_apply, tallies_by_channel

logger = logging.getLogger(__name__)

_COLUMNS = (
    "account_id",
    "campaign_id",
    "contact_id",
    "phone",
    "country",
    "channel",
    "sender",
    "text",
    "parts",
    "encoding",
    "unit_price",
    "price",
    "status",
    "gateway",
    "client_ref",
    "provider_id",
    "error_code",
    "error_reason",
    "attempts",
    "created_at",
)


_DRAFT_COLUMNS = (
    "campaign_id",
    "phone",
    "sender",
    "text",
    "parts",
    "encoding",
    "unit_price",
    "price",
    "gateway",
)
# LANE_IDLE without a batch, a sending campaign with fallbacks queued gets lanes.
LANE_IDLE = timedelta(seconds=5)


def _chosen(campaign: Campaign):
    """The confirmed recipients: rows added to the list after the quote are not."""
    chosen = recipients(campaign)
    if campaign.last_contact_id is not None:
        chosen = chosen.filter(id__lte=campaign.last_contact_id)
    return chosen


def _message_rows(campaign: Campaign) -> Iterator[tuple]:
    """The campaign's messages as rows of `_COLUMNS`, in contact order."""
    chosen = _chosen(campaign)
    book = PriceBook(channel=campaign.channel, volume=campaign.estimated_parts or 0)
    prices: dict[str, Decimal] = {}
    now = timezone.now()
    for contact_id, phone, country, text, parts, encoding in recipient_messages(
        campaign, chosen
    ):
        unit = prices.get(country)
        if unit is None:
            unit = prices[country] = book.unit_price(country)
        yield (
            campaign.account_id,
            campaign.pk,
            contact_id,
            phone,
            country,
            campaign.channel,
            campaign.sender,
            text,
            parts,
            encoding,
            unit,
            unit * parts,
            MessageStatus.QUEUED,
            campaign.gateway,
            uuid4(),
            "",
            "",
            "",
            0,
            now,
        )


def fallback_gateway(campaign: Campaign) -> str:
    """The route of the campaign's fallback SMS.

    The campaign's own route today: the simulator carries every channel. With
    per-account routes this is the account's SMS route.
    """
    return campaign.gateway


def _draft_rows(campaign: Campaign) -> Iterator[tuple]:
    """Each recipient's fallback SMS as rows of `_DRAFT_COLUMNS`, priced like the
    quote's worst case (the SMS volume of every recipient)."""
    volume = campaign.quote.get("channels", {}).get("sms", {}).get("parts", 0)
    book = PriceBook(channel=Channel.SMS, volume=volume)
    prices: dict[str, Decimal] = {}
    gateway = fallback_gateway(campaign)
    for _contact_id, phone, country, text, parts, encoding in recipient_messages(
        campaign, _chosen(campaign), fallback=True
    ):
        unit = prices.get(country)
        if unit is None:
            unit = prices[country] = book.unit_price(country)
        yield (
            campaign.pk,
            phone,
            campaign.sender,
            text,
            parts,
            encoding,
            unit,
            unit * parts,
            gateway,
        )


def _write(
    rows: Iterator[tuple],
    *,
    model: type = Message,
    columns: tuple[str, ...] = _COLUMNS,
) -> tuple[int, Decimal]:
    """Insert the rows (COPY on PostgreSQL, batched INSERTs elsewhere); count, total.

    Rows are read a chunk at a time and each chunk is copied before the next is
    read: the recipients come from a cursor on the same connection, which cannot
    fetch while a COPY is open.
    """
    count, total = 0, Decimal("0")
    price_at = columns.index("price")
    while chunk := list(itertools.islice(rows, 5000)):
        count += len(chunk)
        total += sum((row[price_at] for row in chunk), Decimal("0"))
        if connection.vendor == "postgresql":
            table = model._meta.db_table
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(sql) as copy:
                for row in chunk:
                    copy.write_row(row)
        else:
            model.objects.bulk_create(
                model(**dict(zip(columns, row, strict=True))) for row in chunk
            )
    return count, total


def campaign_prepare(*, campaign_id: int) -> bool:
    """Create the campaign's messages once; False when already done or not confirmed.

    The conditional UPDATE of `recipients_frozen_at` holds the campaign row until
    the messages are committed, so a second worker waits and then finds it done.
    With fallback, each recipient's SMS draft is written too. If the list changed
    since the quote so that the messages (and drafts: the worst case) cost more
    than was reserved, the difference is reserved too; without credit for it
    nothing is kept, the campaign is canceled with the reason, and nothing is sent.
    """
    with transaction.atomic():
        won = Campaign.objects.filter(
            pk=campaign_id,
            status__in=[Status.CONFIRMED, Status.SCHEDULED],
            recipients_frozen_at__isnull=True,
        ).update(recipients_frozen_at=timezone.now())
        if not won:
            return False
        campaign = Campaign.objects.select_related("contact_list", "account").get(
            pk=campaign_id
        )
        count, total = _write(_message_rows(campaign))
        tallies_apply(
            Counter({(campaign.pk, campaign.channel, MessageStatus.QUEUED): count})
        )
        worst = to_cents(total)
        if has_fallback(campaign):
            _drafts, sms_total = _write(
                _draft_rows(campaign), model=FallbackDraft, columns=_DRAFT_COLUMNS
            )
            worst += to_cents(sms_total)
        extra = worst - campaign.reserved_amount
        if campaign.simulation or extra <= 0:
            return True
        try:
            with transaction.atomic():
                credit_reserve(
                    account=campaign.account,
                    amount=extra,
                    reference=f"{campaign.reference}:list-changed",
                )
                Campaign.objects.filter(pk=campaign.pk).update(
                    reserved_amount=campaign.reserved_amount + extra
                )
            return True
        except InsufficientCredit:
            transaction.set_rollback(True)
    campaign_cancel(account=campaign.account, pk=campaign.pk)
    reason = _(
        "The list changed after confirmation: the campaign would cost %(extra)s "
        "more than the credit allows, so it was canceled."
    ) % {"extra": extra}
    Campaign.objects.filter(pk=campaign.pk).update(status_reason=reason)
    return False


def campaign_start(*, campaign_id: int) -> bool:
    """CONFIRMED or due SCHEDULED -> SENDING (messages prepared first); False if not."""
    campaign_prepare(campaign_id=campaign_id)
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status not in {Status.CONFIRMED, Status.SCHEDULED}:
        return False
    if campaign.recipients_frozen_at is None:
        return False  # canceled while preparing
    try:
        campaign_transition(
            campaign=campaign, target=Status.SENDING, started_at=timezone.now()
        )
    except DomainError:
        return False  # another worker or beat started it
    campaign_try_complete(campaign_id=campaign_id)  # an empty list finishes at once
    return True


class Throttled(Exception):
    """The route's rate limit is reached: try this batch again in `wait` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limit: retry in {wait:.2f} s")
        self.wait = wait


def campaign_send_batch(*, campaign_id: int) -> int:
    """Claim, submit and record one batch of a SENDING campaign; messages claimed.

    Returns 0 when the campaign is not sending (paused, stopped) or nothing is
    left to claim: the caller then stops its lane. Raises `Throttled` when the
    route's rate limit (shared by every worker) has no room for the batch yet.
    """
    campaign = Campaign.objects.only("status", "account_id", "gateway").get(
        pk=campaign_id
    )
    if campaign.status != Status.SENDING:
        return 0
    claim = dispatch.messages_claim(
        campaign_id=campaign_id, size=settings.SEND_BATCH_SIZE
    )
    if not claim:
        campaign_try_complete(campaign_id=campaign_id)
        return 0
    Campaign.objects.filter(pk=campaign_id).update(last_batch_at=timezone.now())
    wait = ratelimit.acquire(
        key=campaign.gateway,
        tokens=dispatch.claimed_parts(claim),
        rate=ratelimit.gateway_rate(campaign.gateway),
    )
    if wait > 0:
        dispatch.messages_unclaim(claim)
        raise Throttled(wait)
    dispatch.messages_submit(
        claim=claim,
        gateway=gateway_get(campaign.gateway),
        account_id=campaign.account_id,
    )
    if len(claim.ids) < settings.SEND_BATCH_SIZE:
        campaign_try_complete(campaign_id=campaign_id)  # the queue ran dry
    return len(claim.ids)


def _settle(campaign: Campaign) -> dict:
    """The final money: capture what was submitted, release the rest of the hold.

    Each channel's submitted messages are rounded to the cent on their own; a
    campaign with fallback captures each channel on its own ledger row
    (`campaign:N:whatsapp`, `campaign:N:sms`), so the split is in the ledger.
    Never more than the reservation is captured.
    """
    if campaign.simulation:
        return {"reserved_amount": Decimal("0"), "captured_amount": Decimal("0")}
    by_channel = dict(
        Message.objects.filter(campaign_id=campaign.pk, status__in=SUBMITTED)
        .values_list("channel")
        .annotate(total=Sum("price"))
        .order_by()
    )
    # The campaign's own channel first, so a shortfall (none expected) hits the SMS.
    order = sorted(by_channel, key=lambda channel: channel != campaign.channel)
    account = Account(pk=campaign.account_id)
    left = campaign.reserved_amount
    for channel in order:
        amount = min(to_cents(by_channel[channel]), left)
        if amount <= 0:
            continue
        left -= amount
        reference = campaign.reference
        if has_fallback(campaign):
            reference = f"{campaign.reference}:{channel.lower()}"
        credit_capture(account=account, amount=amount, reference=reference)
    if left > 0:
        credit_release(account=account, amount=left, reference=campaign.reference)
    return {
        "reserved_amount": Decimal("0"),
        "captured_amount": campaign.reserved_amount - left,
    }


def _waiting(campaign: Campaign) -> bool:
    """Whether a message is still queued, awaited or may still fall back.

    A stopped campaign waits only for its queue (in flight). With fallback, an
    RCS/WhatsApp message whose SMS was made is not waited for: its late report
    is still recorded, after completion too.
    """
    counts = tallies_by_channel(campaign.pk)
    if any(c.get(MessageStatus.QUEUED, 0) for c in counts.values()):
        return True
    if campaign.stop_requested_at:
        return False
    if not has_fallback(campaign):
        return any(c.get(MessageStatus.SUBMITTED, 0) for c in counts.values())
    sms = counts.get(Channel.SMS, {})
    return sms.get(MessageStatus.SUBMITTED, 0) > 0 or fallback.awaiting_fallback(
        campaign.pk
    )


def campaign_try_complete(
    *, campaign_id: int, actor: AbstractBaseUser | None = None
) -> bool:
    """COMPLETED once nothing waits: no message queued, none awaiting a report, none
    that may still fall back to SMS.

    A stopped campaign completes as soon as nothing is queued; submitted messages
    older than `REPORT_TIMEOUT` are marked EXPIRED first. The status change and
    the settlement share a transaction under the account lock. Its fallback
    drafts are discarded first in that transaction, which waits for a fallback
    being made meanwhile; the check is then repeated, so an SMS queued at the
    last moment keeps the campaign sending.
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status not in {Status.SENDING, Status.PAUSED}:
        return False
    if campaign.status == Status.PAUSED and not campaign.stop_requested_at:
        return False
    counts = tallies_by_channel(campaign_id).values()
    if any(c.get(MessageStatus.QUEUED, 0) for c in counts):
        return False
    if _waiting(campaign):
        deadline = timezone.now() - timedelta(seconds=settings.REPORT_TIMEOUT)
        dispatch.messages_expire(campaign_id=campaign_id, before=deadline)
        if _waiting(campaign):
            return False
    with transaction.atomic():
        fallback.fallback_discard(campaign_id)
        Account.objects.select_for_update().filter(pk=campaign.account_id).first()
        current = Campaign.objects.select_for_update().get(pk=campaign_id)
        if current.status not in {Status.SENDING, Status.PAUSED} or _waiting(current):
            transaction.set_rollback(True)  # keep the drafts: it goes on
            return False
        campaign_transition(
            campaign=current,
            target=Status.COMPLETED,
            actor=actor,
            note=_("stopped") if current.stop_requested_at else "",
            completed_at=timezone.now(),
            **_settle(current),
        )
    return True


def campaign_pause(
    *, account: Account, pk: int, actor: AbstractBaseUser | None = None
) -> Campaign:
    """SENDING -> PAUSED: nothing new is submitted; batches in flight finish."""
    campaign = campaign_get(account=account, pk=pk)
    campaign_transition(campaign=campaign, target=Status.PAUSED, actor=actor)
    return campaign


def campaign_resume(
    *, account: Account, pk: int, actor: AbstractBaseUser | None = None
) -> Campaign:
    """PAUSED -> SENDING and its lanes reopened once committed; only still-queued
    messages go, so nobody gets it twice."""
    campaign = campaign_get(account=account, pk=pk)
    if campaign.stop_requested_at:
        raise DomainError({"status": _("A stopped campaign cannot be resumed.")})
    campaign_transition(campaign=campaign, target=Status.SENDING, actor=actor)
    transaction.on_commit(partial(lanes_open, pk))
    return campaign


def lanes_open(campaign_id: int) -> None:
    """Queue `SEND_LANES` batch tasks for a sending campaign (by name: the tasks
    module calls this one)."""
    for _lane in range(settings.SEND_LANES):
        current_app.send_task("campaigns.send_batch", args=[campaign_id])


def campaign_stop(
    *, account: Account, pk: int, actor: AbstractBaseUser | None = None
) -> Campaign:
    """Cancel the unsent messages, release their credit and complete the campaign.

    Batches already handed to the route finish (they may be on their way); the
    campaign completes when they are recorded.
    """
    campaign = campaign_get(account=account, pk=pk)
    if campaign.status == Status.SENDING:
        campaign_transition(
            campaign=campaign,
            target=Status.PAUSED,
            actor=actor,
            stop_requested_at=timezone.now(),
        )
    elif campaign.status == Status.PAUSED:
        Campaign.objects.filter(pk=pk, stop_requested_at__isnull=True).update(
            stop_requested_at=timezone.now()
        )
    else:
        raise InvalidTransition(current=campaign.status, target=Status.COMPLETED)
    fallback.fallback_discard(pk)  # first: a fallback made meanwhile is canceled too
    dispatch.messages_cancel_queued(campaign_id=pk)
    campaign_try_complete(campaign_id=pk, actor=actor)
    campaign.refresh_from_db()
    return campaign


def campaigns_due(*, now=None) -> list[int]:
    """Scheduled campaigns whose time has come (beat starts each with a claim)."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now)
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:100]
    )


def campaigns_stalled() -> list[int]:
    """Sending campaigns with claimable work that no worker touched for a while.

    Their lanes died with a worker (or were lost with the broker): beat queues
    new ones. Claims are checked again by each batch, so an extra lane is harmless.
    """
    quiet = timezone.now() - timedelta(seconds=settings.SEND_CLAIM_TIMEOUT)
    candidates = Campaign.objects.filter(status=Status.SENDING).filter(
        Q(last_batch_at__isnull=True) | Q(last_batch_at__lt=quiet)
    )
    return [
        pk
        for pk in candidates.values_list("pk", flat=True)[:100]
        if dispatch.has_claimable(pk)
    ]


def campaigns_falling_back() -> list[int]:
    """Make the SMS of RCS/WhatsApp messages with no final report after
    `FALLBACK_WAIT`; the sending campaigns that have SMS queued and no lane.

    Beat opens lanes for those: a lane that ran dry ended, and fallbacks queued
    later by reports or by this wait need one.
    """
    now = timezone.now()
    before = now - timedelta(seconds=settings.FALLBACK_WAIT)
    campaigns = (
        Campaign.objects.filter(
            status__in=[Status.SENDING, Status.PAUSED],
            stop_requested_at__isnull=True,
            fallback=True,
        )
        .exclude(channel=Channel.SMS)
        .only("status", "last_batch_at")
    )
    idle = []
    for campaign in campaigns[:100]:
        fallback.fallbacks_overdue(campaign_id=campaign.pk, before=before)
        quiet = not campaign.last_batch_at or campaign.last_batch_at < now - LANE_IDLE
        if campaign.status == Status.SENDING and quiet:
            idle.append(campaign.pk)
    return [pk for pk in idle if dispatch.has_claimable(pk)]


def campaigns_finishing() -> list[int]:
    """Sending or stopping campaigns with nothing left to claim: candidates to complete."""
    return list(
        Campaign.objects.filter(status__in=[Status.SENDING, Status.PAUSED]).values_list(
            "pk", flat=True
        )
    )


def campaigns_unstarted() -> list[int]:
    """Campaigns confirmed for now that did not start: their start task was lost."""
    before = timezone.now() - timedelta(seconds=settings.SEND_CLAIM_TIMEOUT)
    return list(
        Campaign.objects.filter(
            status=Status.CONFIRMED, confirmed_at__lt=before
        ).values_list("pk", flat=True)[:100]
    )
