"""Outbound webhooks: subscribed over the API, written with each change, delivered
signed to a real HTTP receiver, retried through an outage, replayable."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Request, Response

from campaigns import sending
from campaigns.services import campaign_confirm
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import Message, WebhookDelivery, WebhookEvent
from messaging.receipts import reports_apply
from messaging.webhooks import (
    deliveries_claim,
    deliveries_form,
    delivery_attempt,
    webhook_fernet,
)
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list

HOOKS = "/api/partner-gateway/v1/webhooks"


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0
    settings.SEND_BATCH_SIZE = 7
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_MAX_IN_FLIGHT = 4


def run_campaign(account, rows: int) -> int:
    """Confirm a campaign and drive it to COMPLETED as workers and beat would."""
    campaign = priced(account, make_list(account, italian_rows(rows)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    while sending.campaign_send_batch(campaign_id=campaign.pk):
        pass
    while simulator_reports_send() or reports_apply():
        pass
    assert sending.campaign_try_complete(campaign_id=campaign.pk)
    return campaign.pk


def pump() -> None:
    """What beat and the delivery tasks do, until nothing is due now."""
    while True:
        formed = deliveries_form()
        claimed = deliveries_claim()
        for delivery_id in claimed:
            delivery_attempt(delivery_id)
        if not formed and not claimed:
            return


def verified(request: Request, secret: str) -> dict:
    """The body of a received POST, after checking its signature as a receiver does."""
    timestamp = request.headers["X-Megafono-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.get_data(), hashlib.sha256
    ).hexdigest()
    assert request.headers["X-Megafono-Signature"] == f"sha256={expected}"
    return json.loads(request.get_data())


def subscribe(api, url: str, **extra) -> dict:
    response = api.post(
        HOOKS,
        {"url": url, "events": ["message.status", "campaign.status"], **extra},
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_creating_shows_the_secret_once_and_stores_it_encrypted(api, httpserver):
    response = api.post(HOOKS, {"url": httpserver.url_for("/hook")})
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["message.status", "campaign.status"]
    assert body["batchSize"] == 1
    listed = api.get(HOOKS).json()
    assert [hook["id"] for hook in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"{HOOKS}/{body['id']}").json()
    from messaging.models import WebhookEndpoint

    stored = WebhookEndpoint.objects.get(pk=body["id"]).secret_encrypted
    assert body["secret"] not in stored
    assert webhook_fernet().decrypt(stored.encode()).decode() == body["secret"]


def test_a_campaign_on_the_simulator_is_heard_signed_event_by_event(
    account, api, httpserver
):
    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    campaign_id = run_campaign(account, 5)
    pump()

    received = [verified(request, hook["secret"]) for request, _r in httpserver.log]
    by_type: dict[str, list[dict]] = {}
    for event in received:
        assert set(event) == {"id", "type", "createdAt", "data"}
        by_type.setdefault(event["type"], []).append(event)
    campaign_steps = [
        (e["data"]["previousStatus"], e["data"]["status"])
        for e in by_type["campaign.status"]
    ]
    assert ("CONFIRMED", "SENDING") in campaign_steps
    assert ("SENDING", "COMPLETED") in campaign_steps
    messages = Message.objects.filter(campaign_id=campaign_id)
    finals = {
        e["data"]["messageId"]: e["data"]
        for e in by_type["message.status"]
        if e["data"]["status"] != "SUBMITTED"
    }
    assert len(finals) == 5
    for message in messages:
        data = finals[message.pk]
        assert data == {
            "messageId": message.pk,
            "campaignId": campaign_id,
            "phoneNumber": message.phone,
            "channel": "SMS",
            "status": message.status,
            "errorCode": message.error_code or None,
            "clientReference": str(message.client_ref),
        }
    submitted = [
        e for e in by_type["message.status"] if e["data"]["status"] == "SUBMITTED"
    ]
    assert len(submitted) == 5
    assert len({e["id"] for e in received}) == len(received)
    log = api.get(f"{HOOKS}/{hook['id']}/deliveries?limit=100").json()
    assert len(log["results"]) == len(received)
    assert {d["status"] for d in log["results"]} == {"SUCCEEDED"}
    assert {d["responseCode"] for d in log["results"]} == {200}
    assert log["results"][0]["responseBody"] == "ok"


@pytest.mark.smoke
def test_a_receiver_down_for_ten_minutes_gets_every_event_afterwards(
    account, api, httpserver
):
    hook = subscribe(api, httpserver.url_for("/hook"), batchSize=3)
    up = {"value": False}

    def receiver(request: Request) -> Response:
        return Response("ok" if up["value"] else "down", 200 if up["value"] else 503)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    run_campaign(account, 8)
    pump()
    failed = WebhookDelivery.objects.filter(endpoint_id=hook["id"])
    assert failed.exists()
    assert set(failed.values_list("status", flat=True)) == {"PENDING"}
    # The first 503s hold the rest back: not every delivery was tried.
    assert 503 in set(failed.values_list("response_code", flat=True))
    assert all(d.next_attempt_at > timezone.now() for d in failed)

    # Ten minutes later (as far as the retry schedule knows) the receiver is back.
    up["value"] = True
    ten_minutes = timedelta(minutes=10)
    for delivery in failed:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=delivery.next_attempt_at - ten_minutes,
            retry_from=delivery.retry_from - ten_minutes,
        )
    pump()

    delivered = [
        verified(request, hook["secret"])
        for request, response in httpserver.log
        if response.status_code == 200
    ]
    assert {body["type"] for body in delivered} == {"batch"}
    events = [event for body in delivered for event in body["data"]["events"]]
    written = WebhookEvent.objects.filter(endpoint_id=hook["id"])
    assert sorted(e["id"] for e in events) == sorted(f"evt_{e.pk}" for e in written)
    assert (
        len(events) == written.count() == 8 * 2 + 4
    )  # sent, final; priced, confirmed, sending, completed
    assert set(failed.values_list("status", flat=True)) == {"SUCCEEDED"}
    assert all(len(body["data"]["events"]) <= 3 for body in delivered)


def test_a_delivery_still_failing_after_a_day_is_failed_and_can_be_replayed(
    account, api, httpserver
):
    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("no", status=500)
    run_campaign(account, 1)
    pump()
    deliveries = WebhookDelivery.objects.filter(endpoint_id=hook["id"])
    assert set(deliveries.values_list("status", flat=True)) == {"PENDING"}
    # A day and an hour later, still failing: retries stop.
    deliveries.update(
        retry_from=timezone.now() - timedelta(hours=25),
        next_attempt_at=timezone.now(),
    )
    pump()
    assert set(deliveries.values_list("status", flat=True)) == {"FAILED"}
    assert set(deliveries.values_list("attempts", flat=True)) <= {1, 2}

    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("thanks")
    first = deliveries.order_by("id").first()
    response = api.post(f"{HOOKS}/deliveries/{first.pk}/replay")
    assert response.status_code == 202
    assert response.json()["status"] == "PENDING"
    pump()
    first.refresh_from_db()
    assert first.status == "SUCCEEDED"
    assert first.response_excerpt == "thanks"
    ((request, _response),) = httpserver.log
    body = verified(request, hook["secret"])
    assert body["id"] == f"evt_{first.events.get().pk}"


def test_private_and_odd_urls_are_refused(api, settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = False
    for url in (
        "http://127.0.0.1:8000/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/hook",
        "file:///etc/passwd",
    ):
        response = api.post(HOOKS, {"url": url, "events": ["message.status"]})
        assert response.status_code == 400, url
        assert response.json()["status"] == "fail"
        assert "url" in response.json()["data"]


def test_unknown_events_and_batch_sizes_are_refused(api, httpserver):
    url = httpserver.url_for("/hook")
    response = api.post(HOOKS, {"url": url, "events": ["message.opened"]})
    assert response.status_code == 400
    assert "events" in response.json()["data"]
    response = api.post(HOOKS, {"url": url, "batchSize": 101})
    assert response.status_code == 400
    clicked = api.post(HOOKS, {"url": url, "events": ["message.clicked"]})
    assert clicked.status_code == 201


def test_no_events_are_written_for_an_account_without_webhooks(
    account, other_api, httpserver
):
    subscribe(other_api, httpserver.url_for("/hook"))
    run_campaign(account, 3)
    assert not WebhookEvent.objects.exists()


def test_deleting_a_webhook_stops_its_events(account, api, httpserver):
    hook = subscribe(api, httpserver.url_for("/hook"))
    assert api.delete(f"{HOOKS}/{hook['id']}").status_code == 204
    run_campaign(account, 2)
    assert not WebhookEvent.objects.exists()
    assert api.get(f"{HOOKS}/{hook['id']}").status_code == 404


def test_other_accounts_cannot_see_or_replay_deliveries(
    account, api, other_api, httpserver
):
    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    run_campaign(account, 1)
    pump()
    delivery = WebhookDelivery.objects.filter(endpoint_id=hook["id"]).first()
    assert other_api.get(f"{HOOKS}/{hook['id']}/deliveries").status_code == 404
    assert other_api.post(f"{HOOKS}/deliveries/{delivery.pk}/replay").status_code == 404
    assert other_api.delete(f"{HOOKS}/{hook['id']}").status_code == 404
    assert api.get(f"{HOOKS}/{hook['id']}").status_code == 200


def test_a_single_send_is_heard_without_a_campaign(account, api, httpserver):
    from messaging.single import single_send, single_submit

    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    answer, _replayed = single_send(
        account=account, phone_number="+393901234567", text="Ordine confermato"
    )
    single_submit(message_id=answer["id"])
    while simulator_reports_send() or reports_apply():
        pass
    pump()
    statuses = [
        verified(request, hook["secret"])["data"] for request, _r in httpserver.log
    ]
    final = Message.objects.get(pk=answer["id"]).status
    assert sorted(s["status"] for s in statuses) == sorted(["SUBMITTED", final])
    assert {s["campaignId"] for s in statuses} == {None}
    assert {s["messageId"] for s in statuses} == {answer["id"]}


def test_the_beat_task_hands_due_deliveries_to_the_delivery_task(
    account, api, httpserver
):
    from celery import current_app

    from messaging.tasks import webhooks_task

    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    run_campaign(account, 2)
    current_app.conf.task_always_eager = True
    try:
        webhooks_task()
    finally:
        current_app.conf.task_always_eager = False
    deliveries = WebhookDelivery.objects.filter(endpoint_id=hook["id"])
    assert deliveries.count() == WebhookEvent.objects.count() == 2 * 2 + 4
    # Four lanes at most; each took the next due delivery when done with its own.
    assert deliveries.filter(status="SUCCEEDED").count() == deliveries.count()
    assert len(httpserver.log) == deliveries.count()
    bodies = [request.get_data() for request, _r in httpserver.log]
    assert len(set(bodies)) == len(bodies)


def test_a_url_that_turns_private_later_is_refused_at_delivery(
    account, api, httpserver, settings
):
    """Checked again on every POST: DNS can point an approved host inward later."""
    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    run_campaign(account, 1)
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = False
    pump()
    assert len(httpserver.log) == 0
    deliveries = WebhookDelivery.objects.filter(endpoint_id=hook["id"])
    assert set(deliveries.values_list("status", flat=True)) == {"PENDING"}
    tried = deliveries.filter(attempts__gt=0)
    assert tried.exists()
    assert all("private" in d.error and d.response_code is None for d in tried)


def test_old_finished_deliveries_are_pruned_with_their_events(account, api, httpserver):
    from messaging.webhooks import deliveries_prune

    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    run_campaign(account, 1)
    pump()
    deliveries = WebhookDelivery.objects.filter(endpoint_id=hook["id"])
    count = deliveries.count()
    deliveries.update(created_at=timezone.now() - timedelta(days=31))
    assert deliveries_prune() == count
    assert not WebhookEvent.objects.exists()


def test_stopped_and_expired_messages_are_heard_too(account, api):
    from messaging.dispatch import messages_expire

    subscribe(api, "http://127.0.0.1:9/hook")
    campaign = priced(account, make_list(account, italian_rows(10)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 7
    assert messages_expire(
        campaign_id=campaign.pk, before=timezone.now() + timedelta(seconds=1)
    )
    sending.campaign_stop(account=account, pk=campaign.pk)
    events = WebhookEvent.objects.filter(type="message.status")
    assert events.filter(status="SUBMITTED").count() == 7
    assert events.filter(status="EXPIRED", error_code="NO_REPORT").count() == 7
    assert events.filter(status="CANCELED").count() == 3
    by_message = set(
        events.filter(status="CANCELED").values_list("message_id", flat=True)
    )
    assert by_message == set(
        Message.objects.filter(campaign=campaign, status="CANCELED").values_list(
            "id", flat=True
        )
    )


def test_the_log_keeps_only_the_head_of_a_long_answer(account, api, httpserver):
    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("é" * 100_000, status=202)
    run_campaign(account, 1)
    pump()
    delivery = WebhookDelivery.objects.filter(endpoint_id=hook["id"]).first()
    assert delivery.status == "SUCCEEDED"
    assert delivery.response_code == 202
    assert len(delivery.response_excerpt) <= 500
    assert delivery.response_excerpt.startswith("éé")
    assert delivery.latency_ms is not None


def test_a_failing_receiver_holds_back_its_other_deliveries(
    account, api, httpserver, settings
):
    settings.WEBHOOK_MAX_IN_FLIGHT = 1
    hook = subscribe(api, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    run_campaign(account, 3)
    pump()
    assert len(httpserver.log) == 1
    deliveries = WebhookDelivery.objects.filter(endpoint_id=hook["id"])
    assert deliveries.count() > 1
    assert not deliveries.filter(next_attempt_at__lte=timezone.now()).exists()
