"""A campaign's real messages through dispatch and the Twilio adapter, outages included.

Until routes are configured per account, the adapter is built here from a
`RouteSpec` and handed to `messages_submit` directly, as the sending task will.
"""

from __future__ import annotations

import pytest

from campaigns import sending
from campaigns.services import campaign_confirm
from contacts.models import OptOut
from messaging import dispatch
from messaging.gateways.base import GatewayThrottled, GatewayUnavailable, RouteSpec
from messaging.gateways.twilio.gateway import TwilioGateway
from messaging.models import DeliveryReport, Message
from messaging.receipts import reports_apply
from messaging.tallies import tallies_for
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, twilio_callback

CALLBACK_URL = "https://megafono.example.com/api/partner-gateway/v1/callbacks/tw"


@pytest.fixture
def fake(fake_server) -> FakeTwilio:
    return FakeTwilio(fake_server)


@pytest.fixture
def twilio(fake) -> TwilioGateway:
    settings = {
        "accountSid": ACCOUNT_SID,
        "authToken": AUTH_TOKEN,
        "from": "+15017122661",
        "baseUrl": fake.base_url,
        "concurrency": 4,
        "timeoutSeconds": 0.3,
    }
    return TwilioGateway(RouteSpec("tw", "twilio", "SMS", settings, CALLBACK_URL))


def campaign_with(account, rows):
    campaign = priced(account, make_list(account, rows))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_prepare(campaign_id=campaign.pk)
    return campaign


def submit(campaign, twilio, size: int = 100):
    claim = dispatch.messages_claim(campaign_id=campaign.pk, size=size)
    return dispatch.messages_submit(
        claim=claim, gateway=twilio, account_id=campaign.account_id
    )


def statuses(campaign) -> dict[str, int]:
    rows = Message.objects.filter(campaign=campaign)
    return {s: rows.filter(status=s).count() for s in {m.status for m in rows}}


def test_an_outage_mid_batch_then_recovery_loses_and_duplicates_nothing(
    account, fake, twilio
):
    campaign = campaign_with(account, italian_rows(12))
    fake.outage_after = 5
    with pytest.raises(GatewayUnavailable):
        submit(campaign, twilio)

    submitted = Message.objects.filter(campaign=campaign, status="SUBMITTED")
    waiting = Message.objects.filter(campaign=campaign, status="QUEUED")
    assert submitted.count() == 5
    assert waiting.count() == 7
    assert not waiting.filter(claim_token__isnull=False).exists()
    assert set(waiting.values_list("attempts", flat=True)) == {1}
    assert tallies_for(campaign.pk) == {"QUEUED": 7, "SUBMITTED": 5}
    assert set(submitted.values_list("provider_id", flat=True)) == {
        sid.lower() for sid in fake.sids
    }

    fake.mode = "ok"
    assert submit(campaign, twilio)["SUBMITTED"] == 7
    assert statuses(campaign) == {"SUBMITTED": 12}
    assert set(fake.per_to().values()) == {1}  # every number once
    assert len(fake.per_to()) == 12
    attempts = Message.objects.filter(campaign=campaign).values_list(
        "attempts", flat=True
    )
    assert sorted(attempts) == [1] * 5 + [2] * 7


def test_a_timeout_then_recovery_sends_each_number_once(account, fake, twilio):
    campaign = campaign_with(account, italian_rows(6))
    fake.mode, fake.hang = "timeout", 1.0
    with pytest.raises(GatewayUnavailable, match="timed out"):
        submit(campaign, twilio)
    assert statuses(campaign) == {"QUEUED": 6}
    fake.mode = "ok"
    assert submit(campaign, twilio)["SUBMITTED"] == 6
    assert sorted(fake.per_to().values()) == [1] * 6


def test_a_429_slows_the_batch_down_and_fails_nobody(account, fake, twilio):
    campaign = campaign_with(account, italian_rows(8))
    fake.throttle_next, fake.retry_after = 1, "3"
    with pytest.raises(GatewayThrottled) as raised:
        submit(campaign, twilio)
    assert raised.value.retry_after == 3.0
    assert "FAILED" not in statuses(campaign)
    assert "REJECTED" not in statuses(campaign)
    submit(campaign, twilio)
    assert statuses(campaign) == {"SUBMITTED": 8}
    assert sorted(fake.per_to().values()) == [1] * 8


def test_refusals_are_final_and_an_unsubscribed_number_is_opted_out(
    account, fake, twilio
):
    rows = [
        *italian_rows(2),
        {"phone": "+15005550001", "country": "US"},
        {"phone": "+15005550004", "country": "US"},
    ]
    campaign = campaign_with(account, rows)
    outcome = submit(campaign, twilio)
    assert outcome == {"SUBMITTED": 2, "REJECTED": 2}
    invalid = Message.objects.get(campaign=campaign, phone="+15005550001")
    assert (invalid.status, invalid.error_code) == ("REJECTED", "21211")
    unsubscribed = Message.objects.get(campaign=campaign, phone="+15005550004")
    assert unsubscribed.error_code == "OPTED_OUT"
    opt_out = OptOut.objects.get(account=account, phone="+15005550004")
    assert opt_out.source == "reply"
    assert submit(campaign, twilio) == {}  # nothing left to send


def test_a_delivered_callback_reaches_the_message(account, fake, twilio):
    campaign = campaign_with(account, italian_rows(1))
    submit(campaign, twilio)
    message = Message.objects.get(campaign=campaign)
    [sid] = fake.sids  # in Twilio's case; we keep ids lower-cased
    request = twilio_callback(
        CALLBACK_URL, {"MessageSid": sid, "MessageStatus": "delivered"}
    )
    [report] = twilio.parse_callback(request).reports
    # What the callback endpoint stores (messaging.receipts.reports_receive).
    DeliveryReport.objects.create(
        gateway=message.gateway,
        provider_id=report.provider_id.strip().lower(),
        status=report.status,
    )
    reports_apply()
    message.refresh_from_db()
    assert message.status == "DELIVERED"
