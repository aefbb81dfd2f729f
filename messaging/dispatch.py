"""Claim a batch of queued messages, hand it to the route, record what it said.

Any number of workers on any number of machines share a campaign's queue: a claim
takes the next rows with `SELECT ... FOR UPDATE SKIP LOCKED`, stamps them with a
token and the time, and commits at once. A claim older than `SEND_CLAIM_TIMEOUT`
is a dead worker's and is taken over; the route recognises the retried message by
its unchanged `client_ref`, so taking over never sends twice. Recording an
outcome is conditional on the token and on the message still being queued, so a
report that overtook the submission is never undone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from contacts.selectors import suppressed_q
from messaging.fallback import FALLS_BACK, fallbacks_create
from messaging.gateways.base import Gateway, OutgoingMessage, SubmitResult
from messaging.models import Channel, Message, MessageStatus
from messaging.tallies import Deltas, tallies_apply


@dataclass(frozen=True)
class Claim:
    token: UUID
    ids: list[int]

    def __bool__(self) -> bool:
        return bool(self.ids)


def _claimable(campaign_id: int) -> QuerySet[Message]:
    stale = timezone.now() - timedelta(seconds=settings.SEND_CLAIM_TIMEOUT)
    return Message.objects.filter(
        campaign_id=campaign_id, status=MessageStatus.QUEUED
    ).filter(Q(claim_token__isnull=True) | Q(claimed_at__lt=stale))


def messages_claim(*, campaign_id: int, size: int) -> Claim:
    """Claim up to `size` of the campaign's queued messages, oldest first."""
    token = uuid4()
    with transaction.atomic():
        locked = _claimable(campaign_id).select_for_update(skip_locked=True)
        ids = list(locked.order_by("id").values_list("id", flat=True)[:size])
        if ids:
            Message.objects.filter(id__in=ids, status=MessageStatus.QUEUED).update(
                claim_token=token, claimed_at=timezone.now(), attempts=F("attempts") + 1
            )
    return Claim(token=token, ids=ids)


def messages_unclaim(claim: Claim) -> None:
    """Hand a claim back untouched (throttled, or the route is down for now)."""
    Message.objects.filter(claim_token=claim.token, status=MessageStatus.QUEUED).update(
        claim_token=None, claimed_at=None
    )


def has_claimable(campaign_id: int) -> bool:
    return _claimable(campaign_id).exists()


def claimed_parts(claim: Claim) -> int:
    """SMS parts in a claim: what a rate limit counts."""
    rows = Message.objects.filter(claim_token=claim.token, status=MessageStatus.QUEUED)
    return sum(rows.values_list("parts", flat=True))


def messages_submit(*, claim: Claim, gateway: Gateway, account_id: int) -> Counter:
    """Submit the claimed messages; returns how many ended in each status.

    Numbers opted out or blacklisted since confirmation are SKIPPED, not sent.
    `GatewayUnavailable` from the route propagates with the claim handed back.
    """
    now = timezone.now()
    claimed = Message.objects.filter(
        claim_token=claim.token, status=MessageStatus.QUEUED
    )
    outcome: Counter = Counter()
    with transaction.atomic():
        skipped = list(
            claimed.filter(suppressed_q(account=account_id)).values_list(
                "id", "campaign_id", "channel"
            )
        )
        if skipped:
            Message.objects.filter(id__in=[i for i, _c, _ch in skipped]).update(
                status=MessageStatus.SKIPPED, claim_token=None, finished_at=now
            )
            deltas: Deltas = Counter()
            for _id, campaign_id, channel in skipped:
                deltas[(campaign_id, channel, MessageStatus.QUEUED)] -= 1
                deltas[(campaign_id, channel, MessageStatus.SKIPPED)] += 1
            tallies_apply(deltas)
            outcome[MessageStatus.SKIPPED] += len(skipped)
    batch = [
        OutgoingMessage(*row[:8], channel=row[8])
        for row in claimed.order_by("id").values_list(
            "id",
            "client_ref",
            "phone",
            "sender",
            "text",
            "parts",
            "encoding",
            "campaign_id",
            "channel",
        )
    ]
    if not batch:
        return outcome
    try:
        results = gateway.submit(batch)
    except Exception:
        messages_unclaim(claim)
        raise
    outcome.update(_record(claim=claim, batch=batch, results=results))
    return outcome


def _record(
    *, claim: Claim, batch: list[OutgoingMessage], results: list[SubmitResult]
) -> Counter:
    """Store the route's answers: one UPDATE per kind of answer, tallies alike.

    A refused RCS/WhatsApp message of a campaign with fallback gets its SMS in
    the same transaction (`messaging.fallback`).
    """
    now = timezone.now()
    by_ref = {message.client_ref: message for message in batch}
    accepted = [r for r in results if r.accepted]
    refused = [r for r in results if not r.accepted]
    outcome: Counter = Counter()
    with transaction.atomic():
        mine = Message.objects.filter(
            claim_token=claim.token, status=MessageStatus.QUEUED
        )
        deltas: Deltas = Counter()
        if accepted:
            ids = [by_ref[r.client_ref].id for r in accepted]
            rows = list(
                mine.filter(id__in=ids)
                .select_for_update()
                .values_list("id", "campaign_id", "channel")
            )
            provider_ids = {by_ref[r.client_ref].id: r.provider_id for r in accepted}
            objects = [
                Message(id=i, provider_id=provider_ids[i].strip().lower()[:100])
                for i, _c, _ch in rows
            ]
            Message.objects.bulk_update(objects, ["provider_id"], batch_size=1000)
            Message.objects.filter(id__in=[i for i, _c, _ch in rows]).update(
                status=MessageStatus.SUBMITTED, submitted_at=now, claim_token=None
            )
            for _id, campaign_id, channel in rows:
                deltas[(campaign_id, channel, MessageStatus.QUEUED)] -= 1
                deltas[(campaign_id, channel, MessageStatus.SUBMITTED)] += 1
            outcome[MessageStatus.SUBMITTED] += len(rows)
        groups: dict[tuple[str, str, str], list[int]] = {}
        for r in refused:
            status = MessageStatus.REJECTED if r.permanent else MessageStatus.FAILED
            key = (status, r.error_code[:40], r.error_reason[:300])
            groups.setdefault(key, []).append(by_ref[r.client_ref].id)
        failed: list[int] = []
        for (status, code, reason), ids in groups.items():
            rows = list(
                mine.filter(id__in=ids).values_list("id", "campaign_id", "channel")
            )
            Message.objects.filter(id__in=[i for i, _c, _ch in rows]).update(
                status=status,
                error_code=code,
                error_reason=reason,
                finished_at=now,
                claim_token=None,
            )
            for message_id, campaign_id, channel in rows:
                deltas[(campaign_id, channel, MessageStatus.QUEUED)] -= 1
                deltas[(campaign_id, channel, status)] += 1
                if channel != Channel.SMS and status in FALLS_BACK:
                    failed.append(message_id)
            outcome[status] += len(rows)
        tallies_apply(deltas)
        fallbacks_create(ids=failed)
    return outcome


def _moved_by_channel(rows: QuerySet[Message], **values) -> Counter:
    """UPDATE `rows` with `values`, one channel at a time; how many of each moved."""
    moved: Counter = Counter()
    for channel in Channel.values:
        if count := rows.filter(channel=channel).update(**values):
            moved[channel] = count
    return moved


def messages_cancel_queued(*, campaign_id: int, include_claimed: bool = False) -> int:
    """Cancel what is still queued (stop); claimed rows in flight finish unless asked."""
    now = timezone.now()
    with transaction.atomic():
        rows = (
            Message.objects.filter(campaign_id=campaign_id, status=MessageStatus.QUEUED)
            if include_claimed
            else _claimable(campaign_id)
        )
        moved = _moved_by_channel(
            rows, status=MessageStatus.CANCELED, finished_at=now, claim_token=None
        )
        deltas: Deltas = Counter()
        for channel, count in moved.items():
            deltas[(campaign_id, channel, MessageStatus.QUEUED)] -= count
            deltas[(campaign_id, channel, MessageStatus.CANCELED)] += count
        tallies_apply(deltas)
    return sum(moved.values())


def messages_expire(*, campaign_id: int, before) -> int:
    """Submitted messages with no final report since `before` become EXPIRED.

    RCS/WhatsApp ones that have not fallen back yet do now (when the fallback
    wait is longer than the report timeout).
    """
    now = timezone.now()
    with transaction.atomic():
        rows = Message.objects.filter(
            campaign_id=campaign_id,
            status=MessageStatus.SUBMITTED,
            submitted_at__lt=before,
        )
        unreplaced = list(
            rows.exclude(channel=Channel.SMS)
            .filter(fallback_at__isnull=True)
            .values_list("id", flat=True)
        )
        moved = _moved_by_channel(
            rows,
            status=MessageStatus.EXPIRED,
            finished_at=now,
            error_code="NO_REPORT",
            error_reason="No delivery report in time",
        )
        deltas: Deltas = Counter()
        for channel, count in moved.items():
            deltas[(campaign_id, channel, MessageStatus.SUBMITTED)] -= count
            deltas[(campaign_id, channel, MessageStatus.EXPIRED)] += count
        tallies_apply(deltas)
        fallbacks_create(ids=unreplaced)
    return sum(moved.values())
