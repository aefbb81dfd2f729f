"""WhatsApp and RCS campaigns through real routes of the account, end to end:
sent to the fake provider, its signed callbacks posted to our callback URL,
the reports applied. Nobody gets a message twice, whatever broke in between."""

from __future__ import annotations

import json
from uuid import UUID

import pytest

from campaigns import sending
from campaigns.services import campaign_confirm
from contacts.models import OptOut
from messaging.gateways.base import NOT_CAPABLE, GatewayUnavailable
from messaging.models import Message, MessageStatus
from messaging.receipts import reports_apply
from messaging.routes import RouteChanges, route_create
from tests.campaigns.builders import priced
from tests.campaigns.conftest import make_list
from tests.campaigns.test_whatsapp_campaign import BODY_IT, MAPPING, synced
from tests.fakes import google_rbm, whatsapp_cloud
from tests.fakes.google_rbm import FakeGoogleRbm
from tests.fakes.whatsapp_cloud import VERIFY_TOKEN, FakeWhatsAppCloud


@pytest.fixture(autouse=True)
def _small_batches(settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    settings.SEND_BATCH_SIZE = 10


def _route(account, kind, channel, settings):
    return route_create(
        account=account,
        kind=kind,
        channel=channel,
        changes=RouteChanges(name=kind, settings=settings),
    )


def _send_all(campaign_id: int) -> None:
    assert sending.campaign_start(campaign_id=campaign_id)
    while sending.campaign_send_batch(campaign_id=campaign_id):
        pass


def _statuses(statuses: list[tuple[str, str]]) -> bytes:
    """Meta's statuses webhook (the fixture's envelope) for (wamid, status) pairs."""
    body = whatsapp_cloud.fixture("webhook_statuses.json")
    value = body["entry"][0]["changes"][0]["value"]
    value["statuses"] = [
        {"id": wamid, "status": status, "timestamp": "1764665400", "recipient_id": "x"}
        for wamid, status in statuses
    ]
    return json.dumps(body).encode()


def test_whatsapp_campaign_through_its_route_and_webhooks(api, account, httpserver):
    fake = FakeWhatsAppCloud(httpserver)
    fake.not_users.add("393470000000")
    route = _route(account, "whatsapp-cloud", "WHATSAPP", fake.settings())
    synced(account, ("black_friday_v2", "it", "APPROVED", BODY_IT))
    rows = [
        {"phone": "+393471234567", "first_name": "Giulia", "attributes": {"code": "A"}},
        {"phone": "+393471234568", "first_name": "Marco", "attributes": {"code": "B"}},
        {"phone": "+393470000000", "first_name": "Nina", "attributes": {"code": "C"}},
    ]
    campaign = priced(
        account,
        make_list(account, rows),
        channel="WHATSAPP",
        text="",
        template_id="black_friday_v2:it",
        template_variables=MAPPING,
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    _send_all(campaign.pk)

    assert [b["to"] for b in fake.accepted] == ["393471234567", "393471234568"]
    url = f"/api/partner-gateway/v1/callbacks/{route.key}"
    handshake = api.client.get(
        url,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "42",
        },
    )
    assert (handshake.status_code, handshake.content) == (200, b"42")
    assert handshake["Content-Type"].startswith("text/plain")

    body = _statuses([("wamid.FAKE000001", "delivered"), ("wamid.FAKE000002", "read")])
    forged = api.client.post(
        url,
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": whatsapp_cloud.sign(body, "guess")},
    )
    assert forged.status_code == 403
    posted = api.client.post(
        url,
        body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": whatsapp_cloud.sign(body)},
    )
    assert posted.status_code == 200
    assert posted.json() == {"reports": 2, "inbound": 0}
    reports_apply()

    reply = whatsapp_cloud.fixture_bytes("webhook_message.json")
    stop = api.client.post(
        url,
        reply,
        content_type="application/json",
        headers={"X-Hub-Signature-256": whatsapp_cloud.sign(reply)},
    )
    assert stop.json() == {"reports": 0, "inbound": 1}
    assert OptOut.objects.filter(account=account, phone="+393471234567").exists()

    outcomes = Message.objects.filter(campaign=campaign).order_by("id")
    assert [(m.phone, m.status, m.error_code) for m in outcomes] == [
        ("+393471234567", MessageStatus.DELIVERED, ""),
        ("+393471234568", MessageStatus.DELIVERED, ""),
        ("+393470000000", MessageStatus.REJECTED, NOT_CAPABLE),
    ]


def test_rcs_campaign_outage_then_retry_and_events(api, account, httpserver):
    fake = FakeGoogleRbm(httpserver)
    fake.not_capable.add("+393470000000")
    route = _route(account, "google-rbm", "RCS", fake.settings())
    rows = [{"phone": f"+39347123456{i}", "first_name": "A"} for i in range(4)]
    rows.append({"phone": "+393470000000", "first_name": "B"})
    campaign = priced(
        account, make_list(account, rows), channel="RCS", text="Black Friday: -30%"
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    fake.fail_after = 2  # Google takes two, then answers 503
    with pytest.raises(GatewayUnavailable):
        sending.campaign_send_batch(campaign_id=campaign.pk)
    assert Message.objects.filter(campaign=campaign, status="QUEUED").count() == 5
    fake.fail_after = None
    while sending.campaign_send_batch(campaign_id=campaign.pk):
        pass

    messages = list(Message.objects.filter(campaign=campaign).order_by("id"))
    assert [m.status for m in messages] == [MessageStatus.SUBMITTED] * 4 + [
        MessageStatus.REJECTED
    ]
    assert messages[-1].error_code == NOT_CAPABLE
    assert sorted(fake.taken) == sorted(str(m.client_ref) for m in messages[:4])

    data = google_rbm.event("event_read.json", messageId=str(messages[0].client_ref))
    response = api.client.post(
        f"/api/partner-gateway/v1/callbacks/{route.key}",
        google_rbm.pushed(data),
        content_type="application/json",
        headers={"X-Goog-Signature": google_rbm.sign(data)},
    )
    assert response.status_code == 200
    reports_apply()
    first = Message.objects.get(client_ref=UUID(str(messages[0].client_ref)))
    assert first.status == MessageStatus.DELIVERED
