"""Delivery reports: stored as they arrive, applied to messages in batches.

Receiving only parses, verifies (`messaging.callbacks`) and inserts
(`reports_store`), so a provider's burst costs one INSERT per request.
`reports_apply` then takes a batch of pending reports, matches them to messages
by our reference or the provider's id (any case: ids come back in another case
from some routes), and moves each message at most forward: a final status never
changes again, so a repeated or late report does nothing. A report that arrives
before its submission is recorded waits and is tried again; after
`REPORT_PARK_HOURS` it is dropped. A failing report on an RCS/WhatsApp message
of a campaign with fallback queues its SMS in the same transaction
(`messaging.fallback`), so a repeated report cannot make a second.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from messaging.bulk import rows_insert
from messaging.fallback import FALLS_BACK, fallbacks_queue
from messaging.gateways.base import Report
from messaging.models import (
    FAILURES,
    FINAL,
    Channel,
    DeliveryReport,
    Message,
    MessageStatus,
)
from messaging.tallies import Deltas, Failures, failures_apply, tallies_apply
from messaging.webhooks import message_events_record

RETRY_AFTER = timedelta(seconds=10)
_REPORT_COLUMNS = (
    "gateway",
    "provider_id",
    "client_ref",
    "status",
    "error_code",
    "error_reason",
    "received_at",
    "retry_at",
)


def reports_store(*, gateway_key: str, reports: list[Report]) -> int:
    """Store reports already read and trusted (an SMPP bind's receipts); applied
    later by `reports_apply` like any other."""
    now = timezone.now()
    rows_insert(
        DeliveryReport,
        _REPORT_COLUMNS,
        [
            (
                gateway_key,
                report.provider_id.strip().lower(),
                report.client_ref,
                report.status,
                report.error_code,
                report.error_reason,
                now,
                now,
            )
            for report in reports
        ],
    )
    return len(reports)


def _rank(status: str) -> int:
    """Order of progress: a report may only move a message to a higher rank."""
    if status in FINAL:
        return 2
    return 1 if status == MessageStatus.SUBMITTED else 0


# The highest report id this process took: where its next batch starts.
_watermark = 0
_REPORT_FIELDS = (
    "id",
    "gateway",
    "provider_id",
    "client_ref",
    "status",
    "error_code",
    "error_reason",
    "received_at",
)


def _pending_batch(now, limit: int) -> list[tuple]:
    """Lock the next pending reports, in id order from this process's watermark.

    Applied reports stay in the pending index until vacuum; scanning it from the
    start each time read every one of them again (the same cost that made claims
    slow). Reports left behind (waiting for their message, or skipped as locked)
    are found by the scan from the start that follows a short batch.
    """
    global _watermark
    pending = DeliveryReport.objects.filter(applied_at__isnull=True, retry_at__lte=now)
    ahead = pending.filter(id__gt=_watermark).order_by("id")
    reports = list(
        ahead.select_for_update(skip_locked=True).values_list(*_REPORT_FIELDS)[:limit]
    )
    if len(reports) < limit and _watermark:
        taken = [r[0] for r in reports]
        rest = pending.exclude(id__in=taken).order_by("retry_at", "id")
        reports += list(
            rest.select_for_update(skip_locked=True).values_list(*_REPORT_FIELDS)[
                : limit - len(reports)
            ]
        )
    _watermark = max(r[0] for r in reports) if len(reports) == limit else 0
    return reports


def reports_apply(*, limit: int = 5000) -> set[int]:
    """Apply up to `limit` pending reports; the ids of the campaigns they touched."""
    now = timezone.now()
    with transaction.atomic():
        reports = _pending_batch(now, limit)
        if not reports:
            return set()
        # A route's reports match only the messages that went through it: another
        # account's route cannot move this account's messages, even knowing
        # their references.
        refs_by_gateway: dict[str, set] = defaultdict(set)
        ids_by_gateway: dict[str, set[str]] = defaultdict(set)
        for r in reports:
            if r[3]:  # our reference, when given, is the exact match
                refs_by_gateway[r[1]].add(r[3])
            elif r[2]:
                ids_by_gateway[r[1]].add(r[2])
        match = Q(pk__in=[])
        for gateway, refs in refs_by_gateway.items():
            match |= Q(gateway=gateway, client_ref__in=refs)
        for gateway, provider_ids in ids_by_gateway.items():
            match |= Q(gateway=gateway, provider_id__in=provider_ids)
        messages = {
            row[0]: row
            for row in Message.objects.filter(match)
            .select_for_update(of=("self",))
            .order_by("id")
            .values_list(
                "id",
                "client_ref",
                "gateway",
                "provider_id",
                "status",
                "campaign_id",
                "channel",
                "account_id",
            )
        }
        by_ref = {(row[2], row[1]): row for row in messages.values()}
        by_provider = {(row[2], row[3]): row for row in messages.values() if row[3]}

        # The best report per message wins: final beats interim, the first final stays.
        chosen: dict[int, tuple] = {}
        applied, waiting, dropped = [], [], []
        park_until = now - timedelta(hours=settings.REPORT_PARK_HOURS)
        for report in reports:
            message = by_ref.get((report[1], report[3])) or by_provider.get(
                (report[1], report[2])
            )
            if message is None:
                (dropped if report[7] < park_until else waiting).append(report[0])
                continue
            applied.append(report[0])
            best = chosen.get(message[0])
            if best is None or _rank(report[4]) > _rank(best[4]):
                chosen[message[0]] = report

        deltas: Deltas = Counter()
        failed: list[int] = []
        groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        moved_ids: list[int] = []
        failures: Failures = Counter()
        early: set[int] = set()
        for message_id, report in chosen.items():
            current = messages[message_id][4]
            if report[4] == MessageStatus.SUBMITTED and current == MessageStatus.QUEUED:
                # Only the submission's own answer makes a message SUBMITTED, with
                # the route's id and the time it left (which expiry reads): an
                # interim report ahead of that answer waits for it.
                early.add(report[0])
            elif _rank(report[4]) > _rank(current):
                groups[(report[4], report[5], report[6])].append(message_id)
        if early:
            applied = [r for r in applied if r not in early]
            for report in reports:
                if report[0] in early:
                    (dropped if report[7] < park_until else waiting).append(report[0])
        for (status, code, reason), ids in groups.items():
            moved = Message.objects.filter(id__in=ids).exclude(status__in=FINAL)
            for message_id in ids:
                row = messages[message_id]
                deltas[(row[5], row[6], row[4])] -= 1
                deltas[(row[5], row[6], status)] += 1
                if status in FAILURES:
                    failures[(row[5], status, code, reason)] += 1
                if status in FALLS_BACK and row[6] != Channel.SMS:
                    failed.append(message_id)
            moved.update(
                status=status,
                claim_token=None,
                finished_at=now,
                error_code=code,
                error_reason=reason,
            )
            moved_ids += ids
        deltas.update(fallbacks_queue(ids=failed))
        tallies_apply(deltas)
        failures_apply(failures)
        message_events_record(
            account_ids={messages[m][7] for m in moved_ids}, message_ids=moved_ids
        )
        DeliveryReport.objects.filter(id__in=applied + dropped).update(applied_at=now)
        DeliveryReport.objects.filter(id__in=waiting).update(retry_at=now + RETRY_AFTER)
    return {messages[m][5] for m in chosen if messages[m][5] is not None}
