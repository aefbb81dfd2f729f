"""Canary: a slice goes first; the rest goes only if it looks healthy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from campaigns import canary, sending
from campaigns.models import Campaign, CampaignEvent
from campaigns.services import campaign_confirm
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import Message, MessageTimeline
from messaging.receipts import reports_apply
from tests.campaigns.builders import priced
from tests.campaigns.conftest import make_list

CANARY = {"percent": 10, "minRecipients": 20, "holdMinutes": 15, "maxFailureRate": 0.1}
START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _rows(n: int) -> list[dict]:
    """Italian numbers of three operators (TIM 333, Vodafone 347, Wind 320), and UK."""
    prefixes = [("+39333", "IT"), ("+39347", "IT"), ("+39320", "IT"), ("+447911", "GB")]
    rows = []
    for i in range(n):
        prefix, country = prefixes[i % 4]
        digits = 7 if country == "IT" else 6
        rows.append({"phone": f"{prefix}{i:0{digits}d}", "country": country})
    return rows


@pytest.fixture(autouse=True)
def _simulator(settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0
    settings.SEND_BATCH_SIZE = 50


def _work(campaign_id: int) -> int:
    sent = 0
    while claimed := sending.campaign_send_batch(campaign_id=campaign_id):
        sent += claimed
    while simulator_reports_send() or reports_apply():
        pass
    return sent


def _started(account, rows: int) -> Campaign:
    contact_list = make_list(account, _rows(rows))
    campaign = priced(account, contact_list, canary=CANARY)
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_start(campaign_id=campaign.pk)
    return Campaign.objects.get(pk=campaign.pk)


def test_the_slice_is_spread_over_countries_and_operators(account):
    with time_machine.travel(START, tick=False):
        campaign = _started(account, 400)
    slice_ = Message.objects.filter(campaign=campaign, canary=True)
    assert slice_.count() == 40  # 10 % of 400, above the minimum of 20
    groups = {(m.country, m.carrier) for m in slice_}
    assert groups == {
        ("IT", "TIM"),
        ("IT", "Vodafone"),
        ("IT", "WIND"),
        ("GB", "Marathon Telecom"),
    }
    assert {slice_.filter(carrier=c).count() for _country, c in groups} == {10}


def test_a_failing_canary_pauses_the_campaign_with_the_reason(
    account, api, settings, client_logged
):
    settings.SIMULATOR_DELIVERED_RATE = 0.7
    settings.SIMULATOR_UNDELIVERED_RATE = 0.3
    settings.SIMULATOR_EXPIRED_RATE = 0.0
    opened = []
    with time_machine.travel(START, tick=False) as clock:
        campaign = _started(account, 400)
        assert _work(campaign.pk) == 40  # only the slice
        assert (
            canary.canary_check(campaign_id=campaign.pk, lanes_open=opened.append)
            == "HOLDING"
        )
        clock.shift(timedelta(minutes=10))
        assert (
            canary.canary_check(campaign_id=campaign.pk, lanes_open=opened.append)
            == "HOLDING"
        )
        clock.shift(timedelta(minutes=6))
        assert (
            canary.canary_check(campaign_id=campaign.pk, lanes_open=opened.append)
            == "FAILED"
        )
    campaign.refresh_from_db()
    assert campaign.status == "PAUSED"
    assert campaign.status_reason.startswith("Canary failed: ")
    assert "of 40 messages failed" in campaign.status_reason
    event = CampaignEvent.objects.filter(campaign=campaign).last()
    assert (event.from_status, event.to_status) == ("SENDING", "PAUSED")
    assert event.note == campaign.status_reason
    assert opened == []
    assert Message.objects.filter(campaign=campaign, status="QUEUED").count() == 360
    body = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}").json()
    assert body["canaryState"] == "FAILED"
    assert body["statusReason"] == campaign.status_reason

    home = client_logged.get("/").content.decode()
    assert 'data-testid="paused-card"' in home
    assert "Canary failed: " in home
    live = client_logged.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Canary failed: the rest was not sent." in live

    # Resuming is the user's decision to send the rest anyway.
    sending.campaign_resume(account=account, pk=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.canary_passed_at is not None
    assert campaign.status_reason == ""
    assert _work(campaign.pk) == 360


@pytest.mark.smoke
def test_a_healthy_canary_lets_the_rest_go_by_itself(account, settings):
    settings.SIMULATOR_DELIVERED_RATE = 1.0
    settings.SIMULATOR_UNDELIVERED_RATE = 0.0
    settings.SIMULATOR_EXPIRED_RATE = 0.0
    opened = []
    with time_machine.travel(START, tick=False) as clock:
        campaign = _started(account, 400)
        assert _work(campaign.pk) == 40
        assert not sending.campaign_try_complete(campaign_id=campaign.pk)
        canary.canary_check(campaign_id=campaign.pk, lanes_open=opened.append)
        clock.shift(timedelta(minutes=16))
        assert (
            canary.canary_check(campaign_id=campaign.pk, lanes_open=opened.append)
            == "PASSED"
        )
        assert _work(campaign.pk) == 360
        assert sending.campaign_try_complete(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == "COMPLETED"
    notes = list(
        CampaignEvent.objects.filter(campaign=campaign).values_list("note", flat=True)
    )
    assert "Canary passed: 0 of 40 failed, 0 opted out." in notes


def test_a_rising_failure_rate_pauses_a_sending_campaign(account):
    with time_machine.travel(START, tick=False):
        campaign = _started(account, 40)
        Campaign.objects.filter(pk=campaign.pk).update(canary_passed_at=timezone.now())
        minute = timezone.now().replace(second=0)
        MessageTimeline.objects.create(
            campaign=campaign, minute=minute, status="DELIVERED", count=80
        )
        MessageTimeline.objects.create(
            campaign=campaign, minute=minute, status="UNDELIVERED", count=20
        )
        assert canary.rolling_check(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == "PAUSED"
    assert "20.0% of the last 100 outcomes failed" in campaign.status_reason


def test_the_canary_is_validated(api, account):
    created = api.post(
        "/api/partner-gateway/v1/campaigns", {"name": "C", "canary": True}
    ).json()
    assert created["canary"] == {
        "percent": 2.0,
        "minRecipients": 200,
        "holdMinutes": 15,
        "maxFailureRate": 0.1,
        "maxOptOutRate": 0.01,
    }
    bad = api.put(
        f"/api/partner-gateway/v1/campaigns/{created['id']}",
        {"canary": {"percent": 80}},
    )
    assert bad.status_code == 400
    assert bad.json()["data"] == {"canary": "percent is between 0 and 50."}


def test_beat_runs_the_canary_to_its_end(
    account, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The tick holds, then passes the canary and reopens the lanes itself."""
    from campaigns.tasks import tick_task

    settings.SIMULATOR_DELIVERED_RATE = 1.0
    settings.SIMULATOR_UNDELIVERED_RATE = 0.0
    settings.SIMULATOR_EXPIRED_RATE = 0.0
    opened: list[int] = []
    monkeypatch.setattr(sending, "lanes_open", opened.append)
    with time_machine.travel(START, tick=False) as clock:
        campaign = _started(account, 400)
        _work(campaign.pk)
        tick_task()
        campaign.refresh_from_db()
        assert campaign.canary_hold_until == START + timedelta(minutes=15)
        clock.shift(timedelta(minutes=16))
        with django_capture_on_commit_callbacks(execute=True):
            tick_task()
    campaign.refresh_from_db()
    assert campaign.canary_passed_at is not None
    assert campaign.pk in opened
