"""Outbound webhooks: an outbox written with each change, delivered signed, retried.

1. Recording. The transactions that move messages (`dispatch`, `receipts`) and
   campaigns (`campaigns.transitions`) call `message_events_record` /
   `campaign_event_record` after their UPDATE. One indexed query asks whether
   the account has a listening endpoint; only then one `INSERT ... SELECT`
   copies the moved messages into `WebhookEvent` rows, one per endpoint. An
   event therefore exists exactly when its change committed, and a batch of
   5,000 receipts costs one statement, not 5,000.
2. Batching (beat, `deliveries_form`): each endpoint's new events are grouped
   into deliveries of its `batch_size` (1: one event per POST, the Twilio way;
   up to 100 in one `batch` envelope, the Infobip way).
3. Delivering (beat, `deliveries_claim`, then one Celery task per delivery,
   `delivery_attempt`): up to `WEBHOOK_MAX_IN_FLIGHT` POSTs per endpoint at
   once, each through `outbound_client()` (no private addresses), signed with
   the endpoint's secret. A failure is retried with exponential backoff and
   jitter; one that still fails 24 hours after the first try is FAILED, and
   can be replayed by hand.

Order is not guaranteed across parallel deliveries: each message event carries
its status, and a final status is never followed by another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import Conflict, DomainError, one_or_not_found
from accounts.models import Account
from messaging.error_codes import MessagingErrorCode
from messaging.gateways.http import UnsafeURL, outbound_client, url_check
from messaging.models import (
    Message,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)

TIMESTAMP_HEADER = "X-Megafono-Timestamp"
SIGNATURE_HEADER = "X-Megafono-Signature"
SECRET_PREFIX = "whsec_"
MAX_BATCH_SIZE = 100
RETRY_WINDOW = timedelta(hours=24)
BACKOFF_BASE = 10.0  # seconds before the first retry
BACKOFF_MAX = 3600.0  # never more than an hour between two tries
# A SENDING delivery's lease: longer than any POST (timeout below) may take.
LEASE = timedelta(seconds=60)
POST_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
EXCERPT_CHARS = 500

Status = WebhookDeliveryStatus
OPEN = (Status.PENDING, Status.SENDING)


def webhook_fernet() -> MultiFernet:
    """The cipher of webhook secrets.

    `MEGAFONO_ENCRYPTION_KEY` (comma-separated Fernet keys, newest first, for
    rotation) when set; otherwise a key derived from `SECRET_KEY` by HKDF, so a
    quick start needs no extra setting. Changing `SECRET_KEY` without an
    encryption key makes existing secrets unreadable: set the key in production.
    """
    configured = getattr(settings, "MEGAFONO_ENCRYPTION_KEY", "") or ""
    keys = [key.strip() for key in str(configured).split(",") if key.strip()]
    if not keys:
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"megafono webhook secrets",
        ).derive(settings.SECRET_KEY.encode())
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def webhook_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret, decrypted."""
    return webhook_fernet().decrypt(endpoint.secret_encrypted.encode()).decode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(event) for event in events))
    unknown = [event for event in chosen if event not in WebhookEventType.values]
    if not chosen or unknown:
        raise DomainError(
            {
                "events": _("Choose events among: %(types)s.")
                % {"types": ", ".join(WebhookEventType.values)}
            },
            code=MessagingErrorCode.INVALID_WEBHOOK,
        )
    return chosen


def webhook_create(
    *, account: Account, url: str, events: Iterable[str], batch_size: int = 1
) -> tuple[WebhookEndpoint, str]:
    """Make an endpoint; returns it with its secret, which is never shown again."""
    try:
        url_check(url)
    except UnsafeURL as exc:
        raise DomainError(
            {"url": str(exc)}, code=MessagingErrorCode.INVALID_WEBHOOK
        ) from exc
    if len(url) > 500:
        raise DomainError(
            {"url": _("The URL is too long (500 characters at most).")},
            code=MessagingErrorCode.INVALID_WEBHOOK,
        )
    if not 1 <= int(batch_size) <= MAX_BATCH_SIZE:
        raise DomainError(
            {
                "batch_size": _("Send from 1 to %(max)d events per POST.")
                % {"max": MAX_BATCH_SIZE}
            },
            code=MessagingErrorCode.INVALID_WEBHOOK,
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        account=account,
        url=url,
        events=_clean_events(events),
        batch_size=int(batch_size),
        secret_encrypted=webhook_fernet().encrypt(secret.encode()).decode(),
    )
    return endpoint, secret


def webhooks_for_account(*, account: Account) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(account=account).order_by("-id")


def webhook_get(*, account: Account, pk: int) -> WebhookEndpoint:
    return one_or_not_found(webhooks_for_account(account=account), pk=pk)


def webhook_delete(*, account: Account, pk: int) -> None:
    """Delete an endpoint with its outbox and log: nothing more is sent to it."""
    webhook_get(account=account, pk=pk).delete()


def deliveries_for(*, account: Account, webhook_id: int) -> QuerySet[WebhookDelivery]:
    """An endpoint's delivery log, newest first (404 if not the account's)."""
    endpoint = webhook_get(account=account, pk=webhook_id)
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id")


# Recording ----------------------------------------------------------------------


def _listeners(account_ids: Iterable[int], event_type: str) -> list[int]:
    """Active endpoints of these accounts subscribed to `event_type`.

    The cheap question asked by every status change: an index probe
    (`webhook_active`) that finds nothing for accounts without webhooks.
    """
    accounts = {pk for pk in account_ids if pk is not None}
    if not accounts:
        return []
    rows = WebhookEndpoint.objects.filter(
        account_id__in=accounts, is_active=True
    ).values_list("id", "events")
    return [pk for pk, events in rows if event_type in events]


def _insert_message_events(endpoints: list[int], where: str, params: list) -> int:
    """One `INSERT ... SELECT` of the messages matching `where` (SQL on `m`)."""
    event, message, endpoint = (
        WebhookEvent._meta.db_table,
        Message._meta.db_table,
        WebhookEndpoint._meta.db_table,
    )
    sql = (
        f"INSERT INTO {event} (endpoint_id, type, message_id, campaign_id, phone,"
        " channel, client_ref, status, previous_status, error_code, reason,"
        " created_at)"
        " SELECT e.id, %s, m.id, m.campaign_id, m.phone, m.channel, m.client_ref,"
        " m.status, '', m.error_code, m.error_reason, %s"
        f" FROM {message} m JOIN {endpoint} e ON e.account_id = m.account_id"
        f" WHERE e.id IN ({', '.join(['%s'] * len(endpoints))}) AND {where}"
    )
    head = [WebhookEventType.MESSAGE_STATUS, timezone.now(), *endpoints]
    with connection.cursor() as cursor:
        cursor.execute(sql, head + params)
        return cursor.rowcount


def message_events_record(
    *, account_ids: Iterable[int], message_ids: Sequence[int]
) -> int:
    """Queue a `message.status` event per moved message and listening endpoint.

    Call inside the transaction that changed the messages, after its UPDATE:
    the rows are copied as they are now (status, error code), in one
    `INSERT ... SELECT` per 5,000. Returns the number of events written.
    """
    if not message_ids:
        return 0
    endpoints = _listeners(account_ids, WebhookEventType.MESSAGE_STATUS)
    written = 0
    for start in range(0, len(message_ids) if endpoints else 0, 5000):
        chunk = list(message_ids[start : start + 5000])
        where = f"m.id IN ({', '.join(['%s'] * len(chunk))})"
        written += _insert_message_events(endpoints, where, chunk)
    return written


def message_events_record_where(*, messages: QuerySet[Message]) -> int:
    """The same for messages chosen by a query (one campaign's), when their ids
    are not at hand and may be a million: the query becomes a subquery."""
    account_ids = messages.order_by().values_list("account_id", flat=True)[:1]
    endpoints = _listeners(list(account_ids), WebhookEventType.MESSAGE_STATUS)
    if not endpoints:
        return 0
    sql, params = messages.order_by().values("id").query.sql_with_params()
    return _insert_message_events(endpoints, f"m.id IN ({sql})", list(params))


def campaign_event_record(
    *,
    account_id: int,
    campaign_id: int,
    status: str,
    previous_status: str,
    reason: str = "",
) -> int:
    """Queue a `campaign.status` event per listening endpoint (in the transition's
    transaction)."""
    endpoints = _listeners([account_id], WebhookEventType.CAMPAIGN_STATUS)
    now = timezone.now()
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            endpoint_id=endpoint_id,
            type=WebhookEventType.CAMPAIGN_STATUS,
            campaign_id=campaign_id,
            status=status,
            previous_status=previous_status,
            reason=reason[:300],
            created_at=now,
        )
        for endpoint_id in endpoints
    )
    return len(endpoints)


# Payloads -----------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_payload(event: WebhookEvent) -> dict[str, Any]:
    """One event as receivers get it: `{"id", "type", "createdAt", "data"}`."""
    if event.type == WebhookEventType.CAMPAIGN_STATUS:
        data: dict[str, Any] = {
            "campaignId": event.campaign_id,
            "status": event.status,
            "previousStatus": event.previous_status or None,
            "reason": event.reason or None,
        }
    else:
        data = {
            "messageId": event.message_id,
            "campaignId": event.campaign_id,
            "phoneNumber": event.phone,
            "channel": event.channel,
            "status": event.status,
            "errorCode": event.error_code or None,
            "clientReference": str(event.client_ref) if event.client_ref else None,
        }
    return {
        "id": f"evt_{event.pk}",
        "type": event.type,
        "createdAt": _iso(event.created_at),
        "data": data,
    }


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The bytes a delivery POSTs, the same on every attempt.

    An endpoint with `batch_size` 1 gets each event as the whole body; one with
    more gets `{"id": "dlv_N", "type": "batch", "createdAt", "data": {"events":
    [...]}}`, whatever the number of events in this delivery, so its receiver
    parses one shape.
    """
    events = [event_payload(e) for e in delivery.events.order_by("id")]
    if delivery.endpoint.batch_size == 1 and len(events) == 1:
        payload: dict[str, Any] = events[0]
    else:
        payload = {
            "id": f"dlv_{delivery.pk}",
            "type": "batch",
            "createdAt": _iso(delivery.created_at),
            "data": {"events": events},
        }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


# Delivering ---------------------------------------------------------------------


def deliveries_form(*, limit: int = 1000) -> int:
    """Group new events into deliveries of each endpoint's batch size; made.

    Events are locked with SKIP LOCKED, so two beats never batch one twice.
    """
    now = timezone.now()
    unbatched = WebhookEvent.objects.filter(
        endpoint=OuterRef("pk"), delivery__isnull=True
    )
    # One probe of `webhook_event_unbatched` per endpoint, however long the queue.
    pending = (
        WebhookEndpoint.objects.filter(Exists(unbatched))
        .order_by("id")
        .values_list("id", "batch_size")
    )
    made = 0
    for endpoint_id, size in list(pending[:200]):
        with transaction.atomic():
            ids = list(
                WebhookEvent.objects.filter(
                    endpoint_id=endpoint_id, delivery__isnull=True
                )
                .order_by("id")
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[: limit * size]
            )
            chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
            deliveries = WebhookDelivery.objects.bulk_create(
                WebhookDelivery(
                    endpoint_id=endpoint_id,
                    event_count=len(chunk),
                    next_attempt_at=now,
                    retry_from=now,
                )
                for chunk in chunks
            )
            WebhookEvent.objects.bulk_update(
                [
                    WebhookEvent(id=event_id, delivery_id=delivery.pk)
                    for delivery, chunk in zip(deliveries, chunks, strict=True)
                    for event_id in chunk
                ],
                ["delivery"],
                batch_size=1000,
            )
            made += len(deliveries)
    return made


def deliveries_claim() -> list[int]:
    """Take the due deliveries, at most `WEBHOOK_MAX_IN_FLIGHT` per endpoint.

    A taken delivery is SENDING with a lease; SKIP LOCKED lets several beats or
    workers claim side by side, and a delivery whose worker died is due again
    when its lease runs out.
    """
    now = timezone.now()
    due = WebhookDelivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now)
    endpoints = list(
        WebhookEndpoint.objects.filter(Exists(due.filter(endpoint=OuterRef("pk"))))
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    claimed: list[int] = []
    for endpoint_id in endpoints:
        with transaction.atomic():
            busy = WebhookDelivery.objects.filter(
                endpoint_id=endpoint_id, status=Status.SENDING, next_attempt_at__gt=now
            ).count()
            room = settings.WEBHOOK_MAX_IN_FLIGHT - busy
            if room <= 0:
                continue
            ids = list(
                due.filter(endpoint_id=endpoint_id)
                .order_by("next_attempt_at", "id")
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:room]
            )
            WebhookDelivery.objects.filter(id__in=ids).update(
                status=Status.SENDING, next_attempt_at=now + LEASE
            )
        claimed += ids
    return claimed


def delivery_claim_next(endpoint_id: int) -> int | None:
    """Take the endpoint's next due delivery for a lane that just finished one."""
    now = timezone.now()
    with transaction.atomic():
        found = (
            WebhookDelivery.objects.filter(
                endpoint_id=endpoint_id, status__in=OPEN, next_attempt_at__lte=now
            )
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)
            .first()
        )
        if found is not None:
            WebhookDelivery.objects.filter(pk=found).update(
                status=Status.SENDING, next_attempt_at=now + LEASE
            )
    return found


def deliveries_drain(delivery_id: int, *, budget: float = 20.0) -> int:
    """Send a claimed delivery, then the endpoint's next due ones, back to back.

    Each of an endpoint's (at most `WEBHOOK_MAX_IN_FLIGHT`) tasks is a lane: it
    keeps its slot for up to `budget` seconds instead of waiting for the next
    beat, so a backlog drains at in-flight / latency POSTs per second. A failed
    POST ends the lane: the receiver is down, the backoff decides when to try
    again. Returns how many POSTs succeeded.
    """
    deadline = time.monotonic() + budget
    endpoint_id = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .values_list("endpoint_id", flat=True)
        .first()
    )
    sent = 0
    current: int | None = delivery_id
    while current is not None:
        if delivery_attempt(current) != Status.SUCCEEDED:
            break
        sent += 1
        if time.monotonic() >= deadline or endpoint_id is None:
            break
        current = delivery_claim_next(endpoint_id)
    return sent


def backoff(attempt: int) -> float:
    """Seconds before try `attempt + 1`: doubling from 10 s to an hour, jittered
    (50-100 %) so a receiver that comes back is not hit by every retry at once."""
    delay = min(BACKOFF_BASE * 2 ** max(attempt - 1, 0), BACKOFF_MAX)
    return delay * random.uniform(0.5, 1.0)


def _excerpt(response: httpx.Response) -> str:
    """The head of the receiver's answer; the rest is never read into memory."""
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= EXCERPT_CHARS:
            break
    return head[:EXCERPT_CHARS].decode("utf-8", "replace")


def delivery_attempt(delivery_id: int) -> str | None:
    """POST a SENDING delivery once and record the answer; its new status.

    2xx is success; anything else (3xx included: redirects are not followed),
    a timeout or a refused address is a failure, retried until `RETRY_WINDOW`
    after `retry_from`. The record is conditional on SENDING, so a late worker
    whose lease ran out changes nothing a newer attempt wrote.
    """
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, status=Status.SENDING)
        .first()
    )
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = delivery_body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Megafono-Webhooks/1",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(webhook_secret(endpoint), timestamp, body),
    }
    code, excerpt, error = None, "", ""
    started = time.monotonic()
    try:
        with (
            outbound_client(timeout=POST_TIMEOUT) as client,
            client.stream(
                "POST", endpoint.url, content=body, headers=headers
            ) as answer,
        ):
            code, excerpt = answer.status_code, _excerpt(answer)
    except UnsafeURL as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    latency = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    values: dict[str, Any] = {
        "attempts": F("attempts") + 1,
        "last_attempt_at": now,
        "response_code": code,
        "latency_ms": latency,
        "response_excerpt": excerpt,
        "error": error[:300],
    }
    if code is not None and 200 <= code < 300:
        values.update(status=Status.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif now - delivery.retry_from >= RETRY_WINDOW:
        values.update(status=Status.FAILED, next_attempt_at=None)
    else:
        retry_at = now + timedelta(seconds=backoff(delivery.attempts + 1))
        values.update(status=Status.PENDING, next_attempt_at=retry_at)
        # The receiver is failing: its other due deliveries wait as long, rather
        # than each finding out with a POST of its own (a backlog of thousands).
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint.pk,
            status=Status.PENDING,
            next_attempt_at__lt=retry_at,
        ).update(next_attempt_at=retry_at)
    WebhookDelivery.objects.filter(pk=delivery_id, status=Status.SENDING).update(
        **values
    )
    return values["status"]


def deliveries_requeue(rows: QuerySet[WebhookDelivery]) -> int:
    """Send these deliveries again now (same events, same ids), each with a new
    24 h window; one in flight is left alone. How many were queued."""
    now = timezone.now()
    return rows.exclude(status=Status.SENDING).update(
        status=Status.PENDING, next_attempt_at=now, retry_from=now
    )


def delivery_replay(*, account: Account, pk: int) -> WebhookDelivery:
    """Replay one of the account's deliveries (404 for anyone else's)."""
    delivery = one_or_not_found(
        WebhookDelivery.objects.filter(endpoint__account=account), pk=pk
    )
    if not deliveries_requeue(WebhookDelivery.objects.filter(pk=pk)):
        raise Conflict(
            {"status": _("This delivery is being sent right now.")},
            code=MessagingErrorCode.DELIVERY_IN_FLIGHT,
        )
    delivery.refresh_from_db()
    return delivery


def deliveries_prune() -> int:
    """Forget finished deliveries (and their events) older than
    `WEBHOOK_LOG_DAYS`; how many deliveries."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_LOG_DAYS)
    old = WebhookDelivery.objects.filter(
        status__in=[Status.SUCCEEDED, Status.FAILED], created_at__lt=cutoff
    )
    ids = list(old.values_list("id", flat=True)[:10000])
    with transaction.atomic():
        WebhookEvent.objects.filter(delivery_id__in=ids).delete()
        WebhookDelivery.objects.filter(id__in=ids).delete()
    return len(ids)
