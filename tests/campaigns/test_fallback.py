"""SMS fallback: a WhatsApp/RCS recipient who cannot be reached gets the SMS, once."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import LedgerEntry
from campaigns import sending
from campaigns.models import Campaign
from campaigns.services import campaign_cancel, campaign_confirm
from campaigns.stats import campaign_stats
from messaging.gateways.simulator.gateway import SIGNATURE_HEADER, Behaviour, sign
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import FallbackDraft, Message
from messaging.receipts import reports_apply
from tests.campaigns.builders import configured, priced, scheduled
from tests.campaigns.conftest import italian_rows, make_list

REPORTS_URL = "/api/partner-gateway/v1/delivery-reports/simulator"
WHATSAPP = {
    "channel": "WHATSAPP",
    "template_id": "spring_sale_v1",
    "fallback": True,
    "fallback_text": "Ciao {{first_name}}, saldi di primavera: -30% con SPRING.",
}


@pytest.fixture(autouse=True)
def _simulator(settings):
    """Instant reports, every accepted message delivered: outcomes are certain."""
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 0
    settings.SIMULATOR_DELIVERED_RATE = 1.0
    settings.SIMULATOR_UNDELIVERED_RATE = settings.SIMULATOR_EXPIRED_RATE = 0.0
    settings.SIMULATOR_SEED = "fallback-tests"
    settings.SEND_BATCH_SIZE = 7


def run_to_the_end(campaign_id: int) -> None:
    """What workers and beat do, in order, until the campaign completes."""
    assert sending.campaign_start(campaign_id=campaign_id)
    for _round in range(10):
        while sending.campaign_send_batch(campaign_id=campaign_id):
            pass
        while simulator_reports_send() or reports_apply():
            pass
        sending.campaigns_falling_back()
        if sending.campaign_try_complete(campaign_id=campaign_id):
            return
    raise AssertionError("the campaign never completed")


def _ledger(campaign: Campaign) -> dict[tuple[str, str], Decimal]:
    rows = LedgerEntry.objects.filter(reference__startswith=campaign.reference)
    return {(e.kind, e.reference): e.amount for e in rows}


def _post_report(client, message: Message, status: str):
    body = json.dumps(
        {"reports": [{"messageId": message.provider_id, "status": status}]}
    ).encode()
    response = client.post(
        REPORTS_URL,
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(body)},
    )
    assert response.status_code == 202


@pytest.mark.smoke  # raw SQL that differs on SQLite (client references, locks)
def test_a_third_not_on_whatsapp_get_the_sms_and_everyone_is_reached_once(
    account, api, client_logged, settings
):
    settings.SIMULATOR_NOT_CAPABLE_RATE = 0.33
    rows = italian_rows(30)
    behaviour = Behaviour.from_settings()
    not_on_whatsapp = {
        row["phone"]
        for row in rows
        if not behaviour.is_capable(row["phone"], "WHATSAPP")
    }
    assert 5 <= len(not_on_whatsapp) <= 15  # about a third, fixed by the seed
    campaign = priced(account, make_list(account, rows), **WHATSAPP)

    base = f"/api/partner-gateway/v1/campaigns/{campaign.pk}"
    price = api.get(f"{base}/price").json()
    assert price["breakdown"] == {
        "sms": {"count": 30, "cost": 1.05},
        "rcs": {"count": 0, "cost": 0},
        "whatsapp": {"count": 30, "cost": 4.5},
    }
    assert price["totalPrice"] == 5.55  # the worst case: everyone also gets the SMS
    calculated = api.post(f"{base}/calculateGoal").json()
    assert calculated["estimatedCost"] == 5.55
    assert calculated["breakdown"]["sms"] == {"count": 30, "cost": 1.05}
    cost_page = client_logged.get(f"/campaigns/{campaign.pk}/cost/").content.decode()
    assert "SMS fallback, at most" in cost_page
    assert "every recipient also gets the SMS" in cost_page

    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    run_to_the_end(campaign.pk)

    campaign.refresh_from_db()
    assert campaign.status == "COMPLETED"
    messages = Message.objects.filter(campaign=campaign)
    delivered = list(
        messages.filter(status="DELIVERED").values_list("phone", flat=True)
    )
    assert sorted(delivered) == sorted(row["phone"] for row in rows)  # once each
    sms = messages.filter(channel="SMS")
    assert set(sms.values_list("phone", flat=True)) == not_on_whatsapp
    assert set(sms.values_list("text", flat=True)) == {
        "Ciao Mario, saldi di primavera: -30% con SPRING."
    }
    refused = messages.filter(channel="WHATSAPP", error_code="NOT_CAPABLE")
    assert set(refused.values_list("phone", flat=True)) == not_on_whatsapp
    assert set(sms.values_list("fallback_of", flat=True)) == set(
        refused.values_list("id", flat=True)
    )
    out = StringIO()
    call_command("simulator_report", campaign=campaign.pk, stdout=out)
    assert json.loads(out.getvalue()) == {
        "submissions": 30,
        "distinctRecipients": 30,
        "duplicates": 0,
    }

    n = len(not_on_whatsapp)
    stats = api.get(f"{base}/stats").json()
    assert (stats["totalRecipients"], stats["fallbacks"]) == (30, n)
    assert stats["totalMessages"] == 30 + n
    assert stats["channels"]["whatsapp"] == {
        "totalMessages": 30,
        "sent": 30,
        "delivered": 30 - n,
        "failed": n,
        "pending": 0,
        "awaitingReport": 0,
        "skipped": 0,
        "canceled": 0,
    }
    assert stats["channels"]["sms"]["delivered"] == n
    assert stats["channels"]["sms"]["totalMessages"] == n

    whatsapp_cost = (30 - n) * Decimal("0.15")
    sms_cost = (n * Decimal("0.035")).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    ref = campaign.reference
    ledger = _ledger(campaign)
    assert ledger == {
        ("reservation", ref): Decimal("5.55"),
        ("capture", f"{ref}:whatsapp"): whatsapp_cost,
        ("capture", f"{ref}:sms"): sms_cost,
        ("release", ref): Decimal("5.55") - whatsapp_cost - sms_cost,
    }
    assert campaign.captured_amount == whatsapp_cost + sms_cost
    assert stats["cost"] == float(whatsapp_cost + sms_cost)
    page = client_logged.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'data-testid="count-fallbacks">{n}<' in page
    assert 'data-testid="channel-split"' in page
    assert '<th scope="row">WhatsApp</th>' in page
    assert not FallbackDraft.objects.filter(campaign=campaign).exists()


@pytest.fixture
def submitted(account, settings):
    """A WhatsApp campaign with fallback to 4, all accepted, no report yet."""
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 3600
    campaign = priced(account, make_list(account, italian_rows(4)), **WHATSAPP)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 4
    return campaign


def test_an_undelivered_report_falls_back_once_however_often_it_comes(
    client, submitted
):
    message = Message.objects.filter(campaign=submitted).order_by("id").first()
    _post_report(client, message, "UNDELIVERED")
    _post_report(client, message, "UNDELIVERED")
    reports_apply()
    _post_report(client, message, "UNDELIVERED")
    reports_apply()

    sms = Message.objects.get(campaign=submitted, channel="SMS")
    assert (sms.phone, sms.status, sms.fallback_of) == (
        message.phone,
        "QUEUED",
        message.pk,
    )
    assert sms.price == Decimal("0.035")
    assert sms.client_ref != message.client_ref
    stats = campaign_stats(submitted)
    assert stats.fallbacks == 1
    assert stats.channels["WHATSAPP"].undelivered == 1
    assert not sending.campaign_try_complete(campaign_id=submitted.pk)  # SMS queued
    assert sending.campaigns_falling_back() == []  # a lane ran just now
    Campaign.objects.filter(pk=submitted.pk).update(
        last_batch_at=timezone.now() - timedelta(seconds=10)
    )
    assert sending.campaigns_falling_back() == [submitted.pk]  # beat opens lanes
    assert sending.campaign_send_batch(campaign_id=submitted.pk) == 1
    sms.refresh_from_db()
    assert sms.status == "SUBMITTED"


@pytest.mark.smoke
def test_no_report_within_the_wait_falls_back_and_a_late_delivery_adds_nothing(
    client, submitted, settings
):
    settings.FALLBACK_WAIT = 600
    assert sending.campaigns_falling_back() == []
    assert not Message.objects.filter(campaign=submitted, channel="SMS").exists()
    assert not sending.campaign_try_complete(campaign_id=submitted.pk)  # may fall back

    whatsapp = Message.objects.filter(campaign=submitted, channel="WHATSAPP")
    whatsapp.update(submitted_at=timezone.now() - timedelta(seconds=601))
    sending.campaigns_falling_back()
    sending.campaigns_falling_back()  # a second tick makes nothing more
    assert Message.objects.filter(campaign=submitted, channel="SMS").count() == 4

    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 0
    while sending.campaign_send_batch(campaign_id=submitted.pk):
        pass
    late = whatsapp.order_by("id").first()
    _post_report(client, late, "DELIVERED")
    while simulator_reports_send() or reports_apply():
        pass
    late.refresh_from_db()
    assert late.status == "DELIVERED"  # recorded all the same
    assert Message.objects.filter(campaign=submitted, channel="SMS").count() == 4

    assert sending.campaign_try_complete(campaign_id=submitted.pk)
    submitted.refresh_from_db()
    # Every WhatsApp message was accepted by the route and every SMS sent: both
    # are charged, the late-delivered recipient's included.
    assert submitted.captured_amount == Decimal("0.60") + Decimal("0.14")
    stats = campaign_stats(submitted)
    assert stats.channels["WHATSAPP"].awaiting == 3  # their reports may still come
    assert stats.channels["SMS"].delivered == 4

    after = whatsapp.filter(status="SUBMITTED").order_by("id").first()
    _post_report(client, after, "UNDELIVERED")
    reports_apply()
    after.refresh_from_db()
    assert after.status == "UNDELIVERED"  # recorded after completion too
    assert Message.objects.filter(campaign=submitted, channel="SMS").count() == 4
    assert campaign_stats(submitted).channels["WHATSAPP"].awaiting == 2


def test_a_stopped_campaign_falls_back_no_more(client, submitted):
    sending.campaign_stop(account=submitted.account, pk=submitted.pk)
    message = Message.objects.filter(campaign=submitted).first()
    _post_report(client, message, "UNDELIVERED")
    reports_apply()
    assert not Message.objects.filter(campaign=submitted, channel="SMS").exists()
    submitted.refresh_from_db()
    assert submitted.status == "COMPLETED"


def test_without_fallback_nobody_gets_an_sms(account, settings):
    settings.SIMULATOR_NOT_CAPABLE_RATE = 0.33
    settings.FALLBACK_WAIT = 0
    campaign = priced(
        account, make_list(account, italian_rows(12)), **{**WHATSAPP, "fallback": False}
    )
    assert campaign.estimated_cost == Decimal("1.80")  # WhatsApp only
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    run_to_the_end(campaign.pk)

    messages = Message.objects.filter(campaign=campaign)
    assert not messages.filter(channel="SMS").exists()
    assert messages.filter(error_code="NOT_CAPABLE").exists()
    assert not FallbackDraft.objects.filter(campaign=campaign).exists()
    capture = LedgerEntry.objects.get(reference=campaign.reference, kind="capture")
    accepted = messages.filter(status="DELIVERED").count()
    assert capture.amount == accepted * Decimal("0.15")


def test_a_fallback_sms_longer_than_allowed_is_refused(account, api, settings):
    settings.SMS_MAX_PARTS = 2
    campaign = priced(account, make_list(account, italian_rows(2)), **WHATSAPP)
    response = api.put(
        f"/api/partner-gateway/v1/campaigns/{campaign.pk}",
        {"fallbackText": "x" * 400},
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {"fallbackText": "The SMS needs 3 parts; the maximum is 2."},
    }


def test_fallback_needs_an_sms_text(account, api):
    campaign = priced(
        account,
        make_list(account, italian_rows(2)),
        channel="WHATSAPP",
        template_id="spring_sale_v1",
    )
    response = api.put(
        f"/api/partner-gateway/v1/campaigns/{campaign.pk}",
        {"fallback": True, "text": ""},
    )
    assert response.status_code == 200
    response = api.post(
        f"/api/partner-gateway/v1/campaigns/{campaign.pk}/calculateGoal"
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": "fail",
        "data": {
            "fallbackText": "Write the SMS that recipients who cannot receive "
            "WhatsApp get."
        },
    }


def test_the_cost_step_asks_for_the_fallback_sms(account, client_logged):
    campaign = configured(
        account,
        make_list(account, italian_rows(2)),
        channel="WHATSAPP",
        text="",
        template_id="spring_sale_v1",
        fallback=True,
    )
    response = client_logged.post(
        f"/campaigns/{campaign.pk}/cost/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Write the SMS that recipients who cannot receive WhatsApp get." in (
        response.content.decode()
    )


def test_a_campaign_prepared_for_later_keeps_its_drafts_until_canceled(account):
    campaign = scheduled(account, make_list(account, italian_rows(3)), **WHATSAPP)
    assert sending.campaign_prepare(campaign_id=campaign.pk)
    drafts = FallbackDraft.objects.filter(campaign=campaign)
    assert drafts.count() == 3
    assert {d.price for d in drafts} == {Decimal("0.035")}
    campaign.refresh_from_db()
    assert campaign.reserved_amount == Decimal("0.56")  # 3 x 0.15 + 3 x 0.035
    campaign_cancel(account=account, pk=campaign.pk)
    assert not FallbackDraft.objects.filter(campaign=campaign).exists()
