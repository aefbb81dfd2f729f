"""SMS fallback: a recipient whose RCS/WhatsApp message cannot be delivered gets the
campaign's SMS instead, exactly once.

The SMS of every such recipient is rendered and priced when the campaign's
messages are made (a `FallbackDraft` per number), so falling back is set-based:
the transaction that records a failure (a refusal at submission, a report) also
marks the failed messages (`fallback_at`) and copies their drafts into QUEUED SMS
messages with one `INSERT ... SELECT`. Three things make it exactly once: the
mark is set only where it is still empty, on rows locked by that transaction;
the unique (campaign, number, channel) constraint turns a second insert into
nothing (`ON CONFLICT DO NOTHING`); and only drafts that still exist are copied.
The SMS keeps its message's time zone, operator and canary mark, so it waits
for the same send window and goes with the same slice.
Stopping or completing a campaign discards its drafts; the copy locks the drafts
it reads (`FOR SHARE`), so a discard waits for a copy in flight and a copy after
a discard finds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from messaging.models import FAILURES, Channel, FallbackDraft, Message, MessageStatus
from messaging.references import reference_sql
from messaging.tallies import Deltas, tallies_apply

# A message that ends so, in a campaign with fallback, gets its SMS. DELIVERED
# does not, nor SKIPPED (opted out) or CANCELED (the campaign was stopped).
FALLS_BACK = FAILURES
_CHUNK = 5000


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def fallbacks_create(*, ids: Sequence[int]) -> int:
    """`fallbacks_queue` with its tallies applied; the number of SMS queued."""
    with transaction.atomic():
        deltas = fallbacks_queue(ids=ids)
        tallies_apply(deltas)
    return sum(deltas.values())


def fallbacks_queue(*, ids: Sequence[int]) -> Deltas:
    """Queue the SMS of each of these RCS/WhatsApp messages that has a draft and
    none yet; the tallies' deltas of what was queued.

    Call it in the transaction that gave the messages their failing outcome (or
    found them overdue): the SMS exists exactly when the outcome does. That
    transaction applies these deltas with its own in one `tallies_apply`: tally
    rows locked in two passes are locked out of order, and two batches that do
    so deadlock.
    """
    ids = list(ids)
    if not ids:
        return Counter()
    now = timezone.now()
    lock = (
        " FOR UPDATE OF m FOR SHARE OF d" if connection.vendor == "postgresql" else ""
    )
    created: Counter = Counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            cursor.execute(
                "SELECT m.id FROM messaging_message m"
                " JOIN messaging_fallbackdraft d"
                " ON d.campaign_id = m.campaign_id AND d.phone = m.phone"
                f" WHERE m.id IN ({_placeholders(chunk)})"
                " AND m.channel <> 'SMS' AND m.fallback_at IS NULL" + lock,
                chunk,
            )
            chosen = [row[0] for row in cursor.fetchall()]
            if not chosen:
                continue
            Message.objects.filter(id__in=chosen).update(fallback_at=now)
            cursor.execute(
                "INSERT INTO messaging_message (account_id, campaign_id, contact_id,"
                " phone, country, channel, sender, text, parts, encoding, unit_price,"
                " price, status, gateway, client_ref, provider_id, error_code,"
                " error_reason, attempts, created_at, fallback_of, tz, carrier,"
                " canary)"
                " SELECT m.account_id, m.campaign_id, m.contact_id, m.phone,"
                " m.country, %s, d.sender, d.text, d.parts, d.encoding,"
                f" d.unit_price, d.price, %s, d.gateway, {reference_sql()},"
                " '', '', '', 0, %s, m.id, m.tz, m.carrier, m.canary"
                " FROM messaging_message m JOIN messaging_fallbackdraft d"
                " ON d.campaign_id = m.campaign_id AND d.phone = m.phone"
                f" WHERE m.id IN ({_placeholders(chosen)})"
                " ON CONFLICT DO NOTHING RETURNING campaign_id",
                [
                    Channel.SMS,
                    MessageStatus.QUEUED,
                    connection.ops.adapt_datetimefield_value(now),
                    *chosen,
                ],
            )
            created.update(row[0] for row in cursor.fetchall())
    return Counter(
        {(c, Channel.SMS, MessageStatus.QUEUED): n for c, n in created.items()}
    )


def fallbacks_overdue(*, campaign_id: int, before: datetime) -> int:
    """Fall back for RCS/WhatsApp messages submitted before `before` and still
    without a final report; the number of SMS queued.

    Their own report may still come and is recorded, but the recipient has waited
    long enough. Reads the partial index of exactly these messages.
    """
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Message.objects.filter(
                    campaign_id=campaign_id,
                    status=MessageStatus.SUBMITTED,
                    fallback_at__isnull=True,
                    submitted_at__lt=before,
                )
                .exclude(channel=Channel.SMS)
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:_CHUNK]
            )
            if not ids:
                return total
            created = fallbacks_create(ids=ids)
            total += created
        if created == 0:
            return total  # the rest have no draft: nothing will fall back


def awaiting_fallback(campaign_id: int) -> bool:
    """Whether an RCS/WhatsApp message of the campaign may still fall back: it was
    submitted, has no final report and no SMS yet."""
    return (
        Message.objects.filter(
            campaign_id=campaign_id,
            status=MessageStatus.SUBMITTED,
            fallback_at__isnull=True,
        )
        .exclude(channel=Channel.SMS)
        .exists()
    )


def fallback_discard(campaign_id: int) -> None:
    """Nothing of the campaign falls back any more (stopped or completing).

    Waits for a fallback being made from these drafts to commit, so whoever
    cancels or counts the queue next sees that SMS.
    """
    FallbackDraft.objects.filter(campaign_id=campaign_id).delete()
