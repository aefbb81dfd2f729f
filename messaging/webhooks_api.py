"""The webhooks API: endpoints (secret shown once), their delivery log, replay."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Schema
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_routing import DualRouter
from accounts.digits import as_id
from accounts.errors import DomainError
from messaging import webhooks
from messaging.models import WebhookDelivery, WebhookEndpoint

router = DualRouter(tags=["Webhooks"])


class WebhookIn(Schema):
    url: str
    events: list[str] = ["message.status", "campaign.status"]
    batchSize: int = Field(1, ge=1, le=webhooks.MAX_BATCH_SIZE)
    active: bool = True


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    batchSize: int
    active: bool
    createdAt: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str


class DeliveryOut(Schema):
    id: int
    webhookId: int
    status: str
    events: int
    attempts: int
    responseCode: int | None
    latencyMs: int | None
    responseBody: str
    error: str
    createdAt: datetime
    lastAttemptAt: datetime | None
    nextAttemptAt: datetime | None
    deliveredAt: datetime | None


class DeliveryPage(Schema):
    results: list[DeliveryOut]
    nextCursor: str | None


def webhook_out(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "batchSize": endpoint.batch_size,
        "active": endpoint.is_active,
        "createdAt": endpoint.created_at,
    }


def delivery_out(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "webhookId": delivery.endpoint_id,
        "status": delivery.status,
        "events": delivery.event_count,
        "attempts": delivery.attempts,
        "responseCode": delivery.response_code,
        "latencyMs": delivery.latency_ms,
        "responseBody": delivery.response_excerpt,
        "error": delivery.error,
        "createdAt": delivery.created_at,
        "lastAttemptAt": delivery.last_attempt_at,
        "nextAttemptAt": delivery.next_attempt_at,
        "deliveredAt": delivery.delivered_at,
    }


@router.post("/webhooks", response={201: WebhookCreatedOut, 400: Fail, 401: Fail})
def webhook_create_api(
    request: HttpRequest, response: HttpResponse, payload: WebhookIn
):
    """Subscribe a URL; the answer holds the signing `secret`, shown this once."""
    endpoint, secret = webhooks.webhook_create(
        account=request.account,
        url=payload.url,
        events=payload.events,
        batch_size=payload.batchSize,
    )
    if not payload.active:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
        endpoint.is_active = False
    response["Cache-Control"] = "no-store"
    return Status(201, {**webhook_out(endpoint), "secret": secret})


@router.get("/webhooks", response={200: list[WebhookOut], 401: Fail})
def webhooks_api(request: HttpRequest):
    """The account's webhooks (never their secrets)."""
    return [
        webhook_out(e) for e in webhooks.webhooks_for_account(account=request.account)
    ]


@router.get("/webhooks/{pk}", response={200: WebhookOut, 401: Fail, 404: Fail})
def webhook_detail_api(request: HttpRequest, pk: int):
    return webhook_out(webhooks.webhook_get(account=request.account, pk=pk))


@router.delete("/webhooks/{pk}", response={204: None, 401: Fail, 404: Fail})
def webhook_delete_api(request: HttpRequest, pk: int):
    """Delete a webhook: nothing more is sent to it, its log goes with it."""
    webhooks.webhook_delete(account=request.account, pk=pk)
    return Status(204, None)


@router.get(
    "/webhooks/{pk}/deliveries",
    response={200: DeliveryPage, 400: Fail, 401: Fail, 404: Fail},
)
def webhook_deliveries_api(
    request: HttpRequest,
    pk: int,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
):
    """The delivery log, newest first: status, response code, latency, an excerpt
    of the answer; pass `nextCursor` back as `cursor` for older ones."""
    rows = webhooks.deliveries_for(account=request.account, webhook_id=pk)
    if status:
        rows = rows.filter(status=status.upper())
    if cursor:
        if (before := as_id(cursor)) is None:
            raise DomainError({"cursor": "Invalid cursor"})
        rows = rows.filter(id__lt=before)
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "results": [delivery_out(d) for d in page],
        "nextCursor": str(page[-1].pk) if more else None,
    }


@router.post(
    "/webhooks/deliveries/{pk}/replay",
    response={202: DeliveryOut, 401: Fail, 404: Fail, 409: Fail},
)
def webhook_delivery_replay_api(request: HttpRequest, pk: int):
    """Send a delivery again now, same events and ids (receivers dedupe on `id`)."""
    return Status(
        202, delivery_out(webhooks.delivery_replay(account=request.account, pk=pk))
    )
