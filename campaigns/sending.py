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
import json
import logging
import math
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from functools import partial

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.credit import credit_capture, credit_release, credit_reserve
from accounts.errors import Conflict, DomainError, InsufficientCredit
from accounts.models import Account
from accounts.money import to_cents
from campaigns.canary import canary_select, resume_values
from campaigns.models import Campaign
from campaigns.quotes import (
    campaign_template,
    has_fallback,
    recipient_messages,
    recipients,
)
from campaigns.selectors import campaign_get
from campaigns.services import as_sent, campaign_cancel
from campaigns.speed import campaign_rate
from campaigns.states import Status
from campaigns.transitions import InvalidTransition, campaign_transition
from campaigns.windows import claim_filter, zones_count
from messaging import dispatch, fallback, ratelimit, segments
from messaging.failover import route_failure_record
from messaging.gateways.base import GatewayThrottled, GatewayUnavailable
from messaging.gateways.kinds import adapter_for
from messaging.links import LinkWriter, links_template
from messaging.models import SUBMITTED, Channel, FallbackDraft, Message, MessageStatus
from messaging.personalization import placeholders
from messaging.pricing import PriceBook
from messaging.references import reference_new, reference_sql
from messaging.routes import route_long_lived, route_rate, route_resolve
from messaging.tallies import tallies_apply, tallies_by_channel
from messaging.zones import carrier_for, zone_for

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
    "tz",
    "carrier",
    "canary",
    "payload",
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


def _message_rows(campaign: Campaign, zones: Counter) -> Iterator[tuple]:
    """The campaign's messages as rows of `_COLUMNS`, in contact order.

    Counts the recipients' time zones into `zones` as it goes; the operator is
    looked up only for a canary, whose slice is spread over operators.
    """
    chosen = _chosen(campaign)
    book = PriceBook(channel=campaign.channel, volume=campaign.estimated_parts or 0)
    prices: dict[str, Decimal] = {}
    now = timezone.now()
    fallback = campaign.account.timezone
    linked = as_sent(campaign)
    writer = LinkWriter(
        template=links_template(campaign.text, track=campaign.track_links),
        account_id=campaign.account_id,
        campaign_id=campaign.pk,
    )
    for (
        contact_id,
        phone,
        country,
        text,
        parts,
        encoding,
        payload,
    ) in recipient_messages(linked, chosen):
        unit = prices.get(country)
        if unit is None:
            unit = prices[country] = book.unit_price(country)
        tz = zone_for(phone, country, fallback)
        zones[tz] += 1
        ref = reference_new()
        if writer.template.is_linked:
            text = writer.personalize(text, ref)
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
            ref,
            "",
            "",
            "",
            0,
            now,
            tz,
            carrier_for(phone, country) if campaign.canary else "",
            False,
            payload,
        )
    writer.flush()


def fallback_gateway(campaign: Campaign) -> str:
    """The route the campaign's fallback SMS are queued for: the account's SMS
    route now. Each batch resolves the SMS route again and names it on what it
    claims (failover), so this is only where they would go; no enabled SMS route
    yet leaves it empty, and the batches wait for one."""
    try:
        return route_resolve(account_id=campaign.account_id, channel=Channel.SMS).key
    except GatewayUnavailable:
        return ""


def _draft_rows(campaign: Campaign) -> Iterator[tuple]:
    """Each recipient's fallback SMS as rows of `_DRAFT_COLUMNS`, priced like the
    quote's worst case (the SMS volume of every recipient)."""
    volume = campaign.quote.get("channels", {}).get("sms", {}).get("parts", 0)
    book = PriceBook(channel=Channel.SMS, volume=volume)
    prices: dict[str, Decimal] = {}
    gateway = fallback_gateway(campaign)
    for _contact, phone, country, text, parts, encoding, _payload in recipient_messages(
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
    payload_at = columns.index("payload") if "payload" in columns else None
    while chunk := list(itertools.islice(rows, 5000)):
        count += len(chunk)
        total += sum((row[price_at] for row in chunk), Decimal("0"))
        if connection.vendor == "postgresql":
            table = model._meta.db_table
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(sql) as copy:
                for row in chunk:
                    if payload_at is not None:  # as JSON text, NULL if none
                        row = list(row)
                        payload = row[payload_at]
                        row[payload_at] = (
                            None if payload is None else json.dumps(payload)
                        )
                    copy.write_row(row)
        else:
            model.objects.bulk_create(
                model(**dict(zip(columns, row, strict=True))) for row in chunk
            )
    return count, total


def _uniform_text(campaign: Campaign) -> tuple[str, int, str] | None:
    """(text, parts, encoding) when every recipient gets the same text, else None."""
    if campaign.channel == Channel.SMS and placeholders(campaign.text):
        return None
    if campaign_template(campaign) is not None:
        return None  # a WhatsApp template: its parameters are per recipient
    if campaign.send_window or campaign.canary or campaign.track_links:
        return None  # zones, operators or links are worked out per recipient
    if "optout_link" in campaign.text:
        return None
    if campaign.channel != Channel.SMS:
        return campaign.text, 1, ""
    text = campaign.text
    parts = segments.parts(text, "UCS-2" if campaign.unicode else None)
    gsm = not campaign.unicode and segments.is_gsm7(text)
    return text, parts, "GSM-7" if gsm else "UCS-2"


def _insert_uniform(campaign: Campaign, text: str, parts: int, encoding: str):
    """One `INSERT ... SELECT` of the messages (PostgreSQL); count and total price.

    Used when nothing is personalized: the text, its parts and encoding are the
    ones the quote counted, computed once; prices are joined per country from the
    same price book, so nothing about a recipient needs Python.
    """
    chosen = _chosen(campaign)
    book = PriceBook(channel=campaign.channel, volume=campaign.estimated_parts or 0)
    countries = list(chosen.order_by().values_list("country", flat=True).distinct())
    units = [book.unit_price(country) for country in countries]
    source, params = (
        chosen.order_by().values("id", "phone", "country").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH inserted AS (
                INSERT INTO messaging_message ({", ".join(_COLUMNS)})
                SELECT %s, %s, c.id, c.phone, c.country, %s, %s, %s, %s, %s,
                       p.unit, p.unit * %s, %s, %s, {reference_sql()}, '', '', '', 0,
                       %s, %s, '', false, NULL
                FROM ({source}) AS c
                JOIN unnest(%s::varchar[], %s::numeric[]) AS p (country, unit)
                  ON p.country = c.country
                ORDER BY c.id
                RETURNING price
            )
            SELECT count(*), coalesce(sum(price), 0) FROM inserted
            """,
            [
                campaign.account_id,
                campaign.pk,
                campaign.channel,
                campaign.sender,
                text,
                parts,
                encoding,
                parts,
                MessageStatus.QUEUED,
                campaign.gateway,
                timezone.now(),
                campaign.account.timezone,
                *params,
                countries,
                units,
            ],
        )
        count, total = cursor.fetchone()
    return count, total


# Messages created at once above which the table's statistics are refreshed.
ANALYZE_AFTER = 50_000


def _analyze_messages() -> None:
    """Refresh the planner's statistics once a big campaign's messages are in.

    Until autovacuum gets to it, PostgreSQL still believes few messages are
    queued, and looks a claim's rows up through the queued-messages index (a
    million entries read) instead of by their ids: 380 ms a query against 1 ms.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")


def campaign_prepare(*, campaign_id: int) -> bool:
    """Create the campaign's messages once; False when already done or not confirmed.

    The conditional UPDATE of `recipients_frozen_at` holds the campaign row until
    the messages are committed, so a second worker waits and then finds it done.
    With fallback, each recipient's SMS draft is written too, rendered per
    recipient whichever way the messages were (`_insert_uniform` or rows). If the list changed
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
        zones: Counter = Counter()
        uniform = _uniform_text(campaign)
        if uniform and connection.vendor == "postgresql":
            count, total = _insert_uniform(campaign, *uniform)
        else:
            count, total = _write(_message_rows(campaign, zones))
        tallies_apply(
            Counter({(campaign.pk, campaign.channel, MessageStatus.QUEUED): count})
        )
        if count >= ANALYZE_AFTER and connection.vendor == "postgresql":
            transaction.on_commit(_analyze_messages)
        Campaign.objects.filter(pk=campaign.pk).update(zone_counts=zones_count(zones))
        if campaign.canary:
            canary_select(campaign)
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
        route = route_resolve(account_id=campaign.account_id, channel=campaign.channel)
    except GatewayUnavailable:
        route = None  # no enabled route yet: each batch resolves again and waits
    try:
        campaign_transition(
            campaign=campaign,
            target=Status.SENDING,
            started_at=timezone.now(),
            **({"gateway": route.key} if route else {}),
        )
    except DomainError:
        return False  # another worker or beat started it
    campaign_try_complete(campaign_id=campaign_id)  # an empty list finishes at once
    return True


# What a batch needs to know about its campaign: status, route, windows, pace.
_SENDING_FIELDS = (
    "status",
    "account_id",
    "gateway",
    "channel",
    "send_window",
    "zone_counts",
    "canary",
    "canary_passed_at",
    "max_per_minute",
    "spread_hours",
    "recipient_count",
)


def batch_size(campaign: Campaign) -> int:
    """Messages per claim: a paced campaign claims about a second's worth, so its
    bucket hands them out evenly instead of a batch at once and a long wait."""
    rate = campaign_rate(campaign)
    if not rate:
        return settings.SEND_BATCH_SIZE
    return max(1, min(settings.SEND_BATCH_SIZE, math.ceil(rate)))


def batch_size_for(campaign_id: int) -> int:
    """`batch_size` by id: a lane goes on while its claims come back full."""
    return batch_size(Campaign.objects.only(*_SENDING_FIELDS).get(pk=campaign_id))


class Throttled(Exception):
    """The route's rate limit is reached: try this batch again in `wait` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limit: retry in {wait:.2f} s")
        self.wait = wait


def campaign_send_batch(*, campaign_id: int) -> int:
    """Claim, submit and record one batch of a SENDING campaign; messages claimed.

    The route is resolved for each batch (the account's default, or the next one
    when failover demoted it) and named on the batch's messages and on the
    campaign. An RCS/WhatsApp campaign with fallback then claims a batch of its
    queued fallback SMS too, through the account's SMS route: one channel per
    claim and submission, never mixed. Returns 0 when the campaign is not
    sending (paused, stopped) or nothing is left to claim: the caller then stops
    its lane. Raises `Throttled` when a route's rate limit (shared by every
    worker) has no room for the batch yet, or the provider itself said to slow
    down; `GatewayUnavailable` (the claim handed back, counted towards the
    route's demotion) for a retry.
    """
    campaign = Campaign.objects.only(*_SENDING_FIELDS).get(pk=campaign_id)
    if campaign.status != Status.SENDING:
        return 0
    size = batch_size(campaign)
    claimed = _channel_batch(campaign, campaign.channel, size)
    if campaign.fallback and campaign.channel != Channel.SMS:
        claimed += _channel_batch(campaign, Channel.SMS, size)
    if claimed < size:
        campaign_try_complete(campaign_id=campaign_id)  # the queue ran dry
    return claimed


def _channel_batch(campaign: Campaign, channel: str, size: int) -> int:
    """One claim of the campaign's queued `channel` messages through the account's
    route for that channel, submitted and recorded; how many were claimed.

    The campaign's `gateway` follows its own channel's route only; its fallback
    SMS go through the SMS route without changing it.
    """
    route = route_resolve(account_id=campaign.account_id, channel=channel)
    own = channel == campaign.channel
    only = Q(channel=channel)
    if route_long_lived(route):
        # Its own process (an SMPP bind) claims and sends these messages: hand
        # them to it by naming the route on them, then only watch for the end.
        dispatch.messages_route(campaign_id=campaign.pk, gateway=route.key, only=only)
        if own and campaign.gateway != route.key:
            Campaign.objects.filter(pk=campaign.pk).update(gateway=route.key)
        return 0
    window = claim_filter(campaign)
    claim = dispatch.messages_claim(
        campaign_id=campaign.pk,
        size=size,
        gateway=route.key,
        only=only if window is None else only & window,
    )
    if not claim:
        return 0
    Campaign.objects.filter(pk=campaign.pk).update(last_batch_at=timezone.now())
    if own and campaign.gateway != route.key:  # failover moved it, or no route yet
        Campaign.objects.filter(pk=campaign.pk).update(gateway=route.key)
    # The campaign's own pace first (messages), then the route's (SMS parts).
    wait = ratelimit.acquire(
        key=f"campaign:{campaign.pk}",
        tokens=len(claim.ids),
        rate=campaign_rate(campaign),
    ) or ratelimit.acquire(
        key=route.key,
        tokens=dispatch.claimed_parts(claim),
        rate=route_rate(route.key),
    )
    if wait > 0:
        dispatch.messages_unclaim(claim)
        raise Throttled(wait)
    try:
        dispatch.messages_submit(
            claim=claim, gateway=adapter_for(route), account_id=campaign.account_id
        )
    except GatewayThrottled as throttled:  # the claim is already handed back
        raise Throttled(throttled.retry_after) from throttled
    except GatewayUnavailable:
        route_failure_record(route.key)
        raise
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
    if campaign.stop_requested_at:
        # A batch at the route when stop was pressed may have been handed back
        # since (route down, throttled), or its worker died: cancel it now.
        dispatch.messages_cancel_queued(campaign_id=campaign_id)
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
        raise Conflict({"status": _("A stopped campaign cannot be resumed.")})
    campaign_transition(
        campaign=campaign, target=Status.SENDING, actor=actor, **resume_values(campaign)
    )
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
        campaign.pk
        for campaign in candidates.only(*_SENDING_FIELDS)[:100]
        if not route_long_lived(campaign.gateway)
        and dispatch.has_claimable(campaign.pk, claim_filter(campaign))
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
