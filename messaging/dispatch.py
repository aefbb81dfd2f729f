"""Claim a batch of queued messages, hand it to the route, record what it said.

Any number of workers on any number of machines share a campaign's queue: a claim
takes the next rows with `SELECT ... FOR UPDATE SKIP LOCKED`, stamps them with a
token and the time, and commits at once. A claim older than `SEND_CLAIM_TIMEOUT`
is a dead worker's and is taken over: a live worker renews its claim while the
route works on the batch, however slow the route. The retried message keeps its
`client_ref`, which routes with an idempotency key (the simulator, RBM) recognise.
Recording an outcome is conditional on the token and on the message still being
queued, so a report that overtook the submission is never undone.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from contacts.models import OptOut, OptOutSource
from contacts.selectors import suppressed_q
from messaging.fallback import FALLS_BACK, fallbacks_queue
from messaging.gateways.base import (
    OPTED_OUT,
    Gateway,
    GatewayUnavailable,
    OutgoingMessage,
    SubmitResult,
)
from messaging.models import Channel, Message, MessageStatus
from messaging.tallies import (
    Deltas,
    Failures,
    failures_apply,
    route_tallies_add,
    tallies_apply,
)
from messaging.webhooks import message_events_record, message_events_record_where

# What a submitted message that its route never reported on expires with.
NO_REPORT = "NO_REPORT"
NO_REPORT_REASON = "No delivery report in time"


@dataclass(frozen=True)
class Claim:
    token: UUID
    ids: list[int]

    def __bool__(self) -> bool:
        return bool(self.ids)


def _claimable(campaign_id: int, only: Q | None = None) -> QuerySet[Message]:
    stale = timezone.now() - timedelta(seconds=settings.SEND_CLAIM_TIMEOUT)
    rows = Message.objects.filter(
        campaign_id=campaign_id, status=MessageStatus.QUEUED
    ).filter(Q(claim_token__isnull=True) | Q(claimed_at__lt=stale))
    return rows if only is None else rows.filter(only)


# The highest id this process claimed, per campaign and filter (a fallback
# campaign claims its own channel and its SMS apart): where the next claim starts.
_watermarks: dict[tuple[int, str], int] = {}


def messages_claim(
    *, campaign_id: int, size: int, gateway: str = "", only: Q | None = None
) -> Claim:
    """Claim up to `size` of the campaign's queued messages, oldest first.

    `gateway` names the route they are about to go through, in the same UPDATE,
    so its reports find them by (route, provider id). `only` narrows what may be
    claimed now (the campaign's open send windows, its canary slice); the rest
    stays queued for a later claim.

    A claim starts after the last id this process claimed: the index still holds
    the entries of every message already sent until vacuum removes them, and a
    claim scanning from the first id read through all of them (131 ms per claim
    at 870,000 sent, against under 2 ms). Rows left behind (handed back, or a
    dead worker's) are found by the scan from the start that follows a claim
    coming back short.
    """
    token = uuid4()
    values = {"gateway": gateway} if gateway else {}
    mark = (campaign_id, str(only))
    after = _watermarks.get(mark, 0)
    with transaction.atomic():
        claimable = _claimable(campaign_id, only)
        locked = claimable.filter(id__gt=after).select_for_update(skip_locked=True)
        ids = list(locked.order_by("id").values_list("id", flat=True)[:size])
        if len(ids) < size and after:
            rest = claimable.exclude(id__in=ids).select_for_update(skip_locked=True)
            ids += list(
                rest.order_by("id").values_list("id", flat=True)[: size - len(ids)]
            )
        if len(_watermarks) > 10_000:  # a worker that ran for months
            _watermarks.clear()
        _watermarks[mark] = max(ids) if len(ids) == size else 0
        if ids:
            Message.objects.filter(id__in=ids, status=MessageStatus.QUEUED).update(
                claim_token=token,
                claimed_at=timezone.now(),
                attempts=F("attempts") + 1,
                **values,
            )
    return Claim(token=token, ids=ids)


def _claimable_on_route(gateway: str) -> QuerySet[Message]:
    """Queued messages of `gateway` that may go now: single sends, and the
    messages of campaigns that are sending (not paused, not stopped).

    The campaign's status is read through the join, by its stored value, so
    messaging does not import campaigns.
    """
    stale = timezone.now() - timedelta(seconds=settings.SEND_CLAIM_TIMEOUT)
    return (
        Message.objects.filter(gateway=gateway, status=MessageStatus.QUEUED)
        .filter(Q(campaign__isnull=True) | Q(campaign__status="SENDING"))
        .filter(Q(claim_token__isnull=True) | Q(claimed_at__lt=stale))
    )


def messages_claim_route(*, gateway: str, size: int) -> Claim:
    """Claim up to `size` queued messages routed through `gateway`, oldest first.

    For a route whose own long-lived process sends (an SMPP bind), across every
    campaign and single send on it. The same claim as `messages_claim`: SKIP
    LOCKED, a token, the time; only message rows are locked, not the campaigns.
    """
    token = uuid4()
    with transaction.atomic():
        locked = _claimable_on_route(gateway).select_for_update(
            skip_locked=True, of=("self",)
        )
        ids = list(locked.order_by("id").values_list("id", flat=True)[:size])
        if ids:
            Message.objects.filter(id__in=ids, status=MessageStatus.QUEUED).update(
                claim_token=token, claimed_at=timezone.now(), attempts=F("attempts") + 1
            )
    return Claim(token=token, ids=ids)


def messages_route(*, campaign_id: int, gateway: str, only: Q | None = None) -> int:
    """Name `gateway` on the campaign's queued, unclaimed messages (those matching
    `only`: one channel's); how many moved.

    How a long-lived route's process (an SMPP bind, which claims by route) is
    handed a campaign: one UPDATE, repeated harmlessly by every batch task.
    """
    return (
        _claimable(campaign_id, only)
        .exclude(gateway=gateway)
        .filter(claim_token__isnull=True)
        .update(gateway=gateway)
    )


def messages_claim_touch(tokens: list[UUID]) -> None:
    """Renew claims still being worked on (a bind waiting out a throttle), so
    they do not look abandoned after `SEND_CLAIM_TIMEOUT` and get taken over."""
    if tokens:
        Message.objects.filter(
            claim_token__in=tokens, status=MessageStatus.QUEUED
        ).update(claimed_at=timezone.now())


def claimed_rows(claim: Claim) -> QuerySet[Message]:
    """The claim's messages still queued under its token, found by id: a lookup
    by token alone would read every queued message (no index has the token)."""
    return Message.objects.filter(
        id__in=claim.ids, claim_token=claim.token, status=MessageStatus.QUEUED
    )


@contextmanager
def claim_kept(claim: Claim) -> Iterator[None]:
    """Renew `claim` every third of `SEND_CLAIM_TIMEOUT` until the block ends.

    A batch can outlast the timeout at a slow route (one request per WhatsApp
    message, each up to its timeout); unrenewed, it would look abandoned and
    another worker would send it again while it is still at the route. The
    renewal runs on its own thread and connection; a killed worker renews
    nothing, so its claim still goes stale and is taken over.
    """
    done = threading.Event()

    def renew() -> None:
        try:
            while not done.wait(settings.SEND_CLAIM_TIMEOUT / 3):
                claimed_rows(claim).update(claimed_at=timezone.now())
        finally:
            connection.close()

    keeper = threading.Thread(target=renew, name="claim-keeper", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()


def messages_unclaim(claim: Claim) -> None:
    """Hand a claim back untouched (throttled, or the route is down for now)."""
    claimed_rows(claim).update(claim_token=None, claimed_at=None)


def has_claimable(campaign_id: int, only: Q | None = None) -> bool:
    return _claimable(campaign_id, only).exists()


def claimed_parts(claim: Claim) -> int:
    """SMS parts in a claim: what a rate limit counts."""
    rows = claimed_rows(claim)
    return sum(rows.values_list("parts", flat=True))


def messages_submit(*, claim: Claim, gateway: Gateway, account_id: int) -> Counter:
    """Submit the claimed messages; returns how many ended in each status.

    Numbers opted out or blacklisted since confirmation are SKIPPED, not sent.
    `GatewayUnavailable` from the route propagates with the claim handed back;
    the answers it carries (a route that failed half-way through the batch) are
    recorded first, so those messages are never submitted again. The rest stay
    QUEUED, unclaimed, their attempt counted, for a later batch to retry with
    the same `client_ref`.
    """
    outcome = messages_skip_suppressed(claim=claim, account_id=account_id)
    batch = claimed_batch(claim)
    if not batch:
        return outcome
    try:
        with claim_kept(claim):
            results = gateway.submit(batch)
    except GatewayUnavailable as exc:
        if exc.results:
            messages_record(
                claim=claim, batch=batch, results=exc.results, gateway=gateway.key
            )
        messages_unclaim(claim)
        raise
    except Exception:
        messages_unclaim(claim)
        raise
    outcome.update(
        messages_record(claim=claim, batch=batch, results=results, gateway=gateway.key)
    )
    return outcome


def messages_skip_suppressed(*, claim: Claim, account_id: int) -> Counter:
    """Mark the claimed messages to numbers opted out or blacklisted SKIPPED."""
    now = timezone.now()
    claimed = Message.objects.filter(
        id__in=claim.ids,
        claim_token=claim.token,
        status=MessageStatus.QUEUED,
        account_id=account_id,
    )
    outcome: Counter = Counter()
    with transaction.atomic():
        # Locked, and read again once a concurrent report is done with them: a
        # row it moved is no longer queued, and is neither skipped nor counted.
        skipped = list(
            claimed.filter(suppressed_q(account=account_id))
            .select_for_update(of=("self",))
            .order_by("id")
            .values_list("id", "campaign_id", "channel")
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
            message_events_record(
                account_ids=[account_id], message_ids=[i for i, _c, _ch in skipped]
            )
            outcome[MessageStatus.SKIPPED] += len(skipped)
    return outcome


def claimed_batch(claim: Claim) -> list[OutgoingMessage]:
    """The claimed messages still queued, as the route is handed them, by id."""
    claimed = claimed_rows(claim)
    return [
        OutgoingMessage(*row, payload=payload or {}, channel=channel)
        for *row, payload, channel in claimed.order_by("id").values_list(
            "id",
            "client_ref",
            "phone",
            "sender",
            "text",
            "parts",
            "encoding",
            "campaign_id",
            "payload",
            "channel",
        )
    ]


def messages_record(
    *,
    claim: Claim,
    batch: list[OutgoingMessage],
    results: list[SubmitResult],
    gateway: str,
) -> Counter:
    """Store the route's answers: one UPDATE per kind of answer, tallies alike.

    `batch` may be any part of the claim (an SMPP bind records messages as their
    answers come in); only messages still queued under the claim's token move.
    A number the route says unsubscribed (`OPTED_OUT`) joins its account's
    opt-outs in the same transaction, so later campaigns skip it. A refused
    RCS/WhatsApp message of a campaign with fallback gets its SMS in the same
    transaction (`messaging.fallback`).
    """
    now = timezone.now()
    by_ref = {message.client_ref: message for message in batch}
    accepted = [r for r in results if r.accepted]
    refused = [r for r in results if not r.accepted]
    outcome: Counter = Counter()
    with transaction.atomic():
        # The claim's rows still queued under its token, locked in id order (the
        # order reports lock theirs in): a report applied meanwhile has moved its
        # message, which this batch then neither overwrites nor counts.
        held = {
            row[0]: row
            for row in claimed_rows(claim)
            .select_for_update(of=("self",))
            .order_by("id")
            .values_list("id", "campaign_id", "account_id", "channel")
        }
        deltas: Deltas = Counter()
        moved: list[int] = []
        accounts: set[int] = set()
        if accepted:
            rows = _mark_submitted(
                claim=claim,
                provider_ids={
                    by_ref[r.client_ref].id: r.provider_id.strip().lower()[:100]
                    for r in accepted
                },
                now=now,
            )
            for _id, campaign_id, _a, channel in rows:
                deltas[(campaign_id, channel, MessageStatus.QUEUED)] -= 1
                deltas[(campaign_id, channel, MessageStatus.SUBMITTED)] += 1
            outcome[MessageStatus.SUBMITTED] += len(rows)
            moved += [row[0] for row in rows]
            accounts.update(row[2] for row in rows)
        groups: dict[tuple[str, str, str], list[int]] = {}
        for r in refused:
            status = MessageStatus.REJECTED if r.permanent else MessageStatus.FAILED
            key = (status, r.error_code[:40], r.error_reason[:300])
            groups.setdefault(key, []).append(by_ref[r.client_ref].id)
        failed: list[int] = []
        failures: Failures = Counter()
        for (status, code, reason), ids in groups.items():
            rows = [held[i] for i in ids if i in held]
            Message.objects.filter(id__in=[row[0] for row in rows]).update(
                status=status,
                error_code=code,
                error_reason=reason,
                finished_at=now,
                claim_token=None,
            )
            for message_id, campaign_id, _a, channel in rows:
                deltas[(campaign_id, channel, MessageStatus.QUEUED)] -= 1
                deltas[(campaign_id, channel, status)] += 1
                failures[(campaign_id, status, code, reason)] += 1
                if channel != Channel.SMS and status in FALLS_BACK:
                    failed.append(message_id)
            outcome[status] += len(rows)
            moved += [row[0] for row in rows]
            accounts.update(row[2] for row in rows)
        unsubscribed = [
            by_ref[r.client_ref].id for r in refused if r.error_code == OPTED_OUT
        ]
        if unsubscribed:
            OptOut.objects.bulk_create(
                [
                    OptOut(
                        account_id=account_id, phone=phone, source=OptOutSource.REPLY
                    )
                    for account_id, phone in Message.objects.filter(
                        id__in=unsubscribed
                    ).values_list("account_id", "phone")
                ],
                ignore_conflicts=True,
            )
        handed: Counter[int] = Counter()
        for (campaign_id, _channel, status), n in deltas.items():
            if status == MessageStatus.QUEUED:
                handed[campaign_id] -= n
        deltas.update(fallbacks_queue(ids=failed))
        tallies_apply(deltas)
        failures_apply(failures)
        route_tallies_add(gateway, handed)
        message_events_record(account_ids=accounts, message_ids=moved)
    return outcome


def _moved_by_channel(rows: QuerySet[Message], **values) -> Counter:
    """UPDATE `rows` with `values`, one channel at a time; how many of each moved."""
    moved: Counter = Counter()
    for channel in Channel.values:
        if count := rows.filter(channel=channel).update(**values):
            moved[channel] = count
    return moved


def _mark_submitted(*, claim: Claim, provider_ids: dict[int, str], now) -> list:
    """SUBMITTED with the route's ids, for the claimed rows still queued; their
    (id, campaign id, account id, channel).

    On PostgreSQL one `UPDATE ... FROM unnest(ids, provider ids)`; `bulk_update`'s
    one-CASE-per-row statement cost more than the rest of a batch together.
    """
    mine = claimed_rows(claim)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE messaging_message AS m
                SET status = %s, submitted_at = %s, claim_token = NULL,
                    provider_id = v.provider_id
                FROM unnest(%s::bigint[], %s::varchar[]) AS v (id, provider_id)
                WHERE m.id = v.id AND m.claim_token = %s AND m.status = %s
                RETURNING m.id, m.campaign_id, m.account_id, m.channel
                """,
                [
                    MessageStatus.SUBMITTED,
                    now,
                    list(provider_ids),
                    list(provider_ids.values()),
                    claim.token,
                    MessageStatus.QUEUED,
                ],
            )
            return [tuple(row) for row in cursor.fetchall()]
    rows = list(
        mine.filter(id__in=list(provider_ids))
        .select_for_update()
        .values_list("id", "campaign_id", "account_id", "channel")
    )
    Message.objects.bulk_update(
        [Message(id=row[0], provider_id=provider_ids[row[0]]) for row in rows],
        ["provider_id"],
        batch_size=1000,
    )
    Message.objects.filter(id__in=[row[0] for row in rows]).update(
        status=MessageStatus.SUBMITTED, submitted_at=now, claim_token=None
    )
    return rows


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
        if moved:
            canceled = Message.objects.filter(
                campaign_id=campaign_id, status=MessageStatus.CANCELED, finished_at=now
            )
            message_events_record_where(messages=canceled)
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
            error_code=NO_REPORT,
            error_reason=NO_REPORT_REASON,
        )
        deltas: Deltas = Counter()
        for channel, count in moved.items():
            deltas[(campaign_id, channel, MessageStatus.SUBMITTED)] -= count
            deltas[(campaign_id, channel, MessageStatus.EXPIRED)] += count
        deltas.update(fallbacks_queue(ids=unreplaced))
        tallies_apply(deltas)
        key = (campaign_id, MessageStatus.EXPIRED, NO_REPORT, NO_REPORT_REASON)
        failures_apply(Counter({key: sum(moved.values())}))
        if moved:
            expired = Message.objects.filter(
                campaign_id=campaign_id,
                status=MessageStatus.EXPIRED,
                finished_at=now,
                error_code=NO_REPORT,
            )
            message_events_record_where(messages=expired)
    return sum(moved.values())
