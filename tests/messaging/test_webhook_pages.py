"""The Webhooks page: add one (secret shown once, never cached), see its log, replay."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.models import WebhookDelivery, WebhookEndpoint
from messaging.webhooks import webhook_create, webhook_secret


@pytest.fixture(autouse=True)
def _local(settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True


def test_adding_a_webhook_shows_its_secret_once(client_logged, account):
    url = reverse("messaging:webhooks")
    response = client_logged.post(
        url,
        {
            "url": "http://127.0.0.1:9/hook",
            "events": ["message.status"],
            "batch_size": 10,
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get(account=account)
    secret = webhook_secret(endpoint)
    assert secret in response.content.decode()
    assert endpoint.events == ["message.status"]
    assert endpoint.batch_size == 10
    again = client_logged.get(url)
    assert secret not in again.content.decode()
    assert "http://127.0.0.1:9/hook" in again.content.decode()


def test_a_private_url_is_refused_on_the_form(client_logged, settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = False
    response = client_logged.post(
        reverse("messaging:webhooks"),
        {
            "url": "http://127.0.0.1:9/hook",
            "events": ["message.status"],
            "batch_size": 1,
        },
    )
    assert response.status_code == 422
    assert "private" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_status_codes_and_replays(client_logged, account):
    endpoint, _secret = webhook_create(
        account=account, url="http://127.0.0.1:9/hook", events=["message.status"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        status="FAILED",
        attempts=25,
        response_code=503,
        latency_ms=12,
        response_excerpt="down for maintenance",
        retry_from=timezone.now(),
    )
    page = client_logged.get(reverse("messaging:webhook", args=[endpoint.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "503" in text
    assert "down for maintenance" in text
    assert "Replay" in text
    response = client_logged.post(
        reverse("messaging:delivery_replay", args=[delivery.pk])
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "PENDING"


def test_deleting_removes_the_webhook(client_logged, account):
    endpoint, _secret = webhook_create(
        account=account, url="http://127.0.0.1:9/hook", events=["campaign.status"]
    )
    client_logged.post(reverse("messaging:webhook_delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


def test_admin_lists_webhooks_and_deliveries(admin_client, account):
    endpoint, _secret = webhook_create(
        account=account, url="http://127.0.0.1:9/hook", events=["campaign.status"]
    )
    WebhookDelivery.objects.create(endpoint=endpoint, retry_from=timezone.now())
    assert admin_client.get("/admin/messaging/webhookendpoint/").status_code == 200
    assert admin_client.get("/admin/messaging/webhookdelivery/").status_code == 200
