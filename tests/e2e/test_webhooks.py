"""A user adds a webhook on the Webhooks page, copies its secret once, sees its log."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from messaging.models import WebhookDelivery, WebhookEndpoint
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_add_a_webhook_and_read_its_delivery_log(page, screenshot, settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    call_command("load_demo", stdout=StringIO())
    login(page, "demo", "demo")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").fill("http://127.0.0.1:9/megafono")
    page.get_by_label("Events per POST").fill("20")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_test_id("webhook-secret")).to_contain_text("whsec_")
    screenshot(page, "webhooks")

    endpoint = WebhookEndpoint.objects.get()
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        status="PENDING",
        event_count=20,
        attempts=3,
        response_code=503,
        latency_ms=41,
        response_excerpt="Service Unavailable",
        retry_from=timezone.now(),
        next_attempt_at=timezone.now(),
    )
    page.reload()
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    page.get_by_role("link", name="http://127.0.0.1:9/megafono").click()
    expect(page.get_by_role("cell", name="503 Service Unavailable")).to_be_visible()
    page.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("will be sent again")).to_be_visible()
    screenshot(page, "webhook-deliveries")
