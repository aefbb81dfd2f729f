"""SMS fallback with the account's own routes: the SMS leave through its SMS route."""

from __future__ import annotations

import pytest
import redis

from campaigns import sending
from campaigns.services import campaign_confirm
from messaging import failover
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import FallbackDraft, Message, RouteTally
from messaging.receipts import reports_apply
from messaging.routes import RouteChanges, route_create
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list


@pytest.fixture(autouse=True)
def _instant(settings):
    settings.SIMULATOR_MIN_DELAY = settings.SIMULATOR_MAX_DELAY = 0
    settings.SIMULATOR_DELIVERED_RATE = 1.0
    settings.SIMULATOR_UNDELIVERED_RATE = settings.SIMULATOR_EXPIRED_RATE = 0.0
    settings.SEND_BATCH_SIZE = 4
    url = settings.RATE_LIMIT_REDIS_URL
    if url.startswith(("redis://", "rediss://")):  # route keys repeat across runs
        client = redis.Redis.from_url(url)
        for name in client.scan_iter(match=f"{failover.REDIS_KEY_PREFIX}*"):
            client.delete(name)


def _route(account, channel: str, **settings_):
    return route_create(
        account=account,
        kind="simulator",
        channel=channel,
        changes=RouteChanges(
            name=f"Sim {channel}",
            settings={"minDelaySeconds": 0, "maxDelaySeconds": 0, **settings_},
        ),
    )


def _run(campaign_id: int) -> None:
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


def test_the_fallback_sms_go_through_the_sms_route_never_the_rcs_one(account, api):
    rcs = _route(account, "RCS", notCapableRate=1)
    sms = _route(account, "SMS")
    campaign = priced(
        account,
        make_list(account, italian_rows(6)),
        channel="RCS",
        text="Saldi di primavera",
        fallback=True,
        fallback_text="Ciao {{first_name}}, saldi!",
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    _run(campaign.pk)

    campaign.refresh_from_db()
    assert campaign.status == "COMPLETED"
    assert campaign.gateway == rcs.key  # the campaign's own channel's route
    messages = Message.objects.filter(campaign=campaign)
    assert set(messages.filter(channel="RCS").values_list("gateway", "error_code")) == {
        (rcs.key, "NOT_CAPABLE")
    }
    assert set(messages.filter(channel="SMS").values_list("gateway", "status")) == {
        (sms.key, "DELIVERED")
    }
    assert set(messages.filter(channel="SMS").values_list("text", flat=True)) == {
        "Ciao Mario, saldi!"
    }
    assert dict(
        RouteTally.objects.filter(campaign=campaign).values_list("gateway", "count")
    ) == {rcs.key: 6, sms.key: 6}
    stats = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    assert stats["byRoute"] == {rcs.key: 6, sms.key: 6}
    assert (stats["totalRecipients"], stats["fallbacks"]) == (6, 6)


def test_an_unpersonalized_rcs_campaign_with_fallback_still_writes_its_drafts(
    account, settings
):
    """The same text for everyone: the messages take the INSERT ... SELECT path
    (PostgreSQL), and each recipient's SMS draft is still written, and sent."""
    settings.SIMULATOR_NOT_CAPABLE_RATE = 1  # the built-in route's default
    campaign = priced(
        account,
        make_list(account, italian_rows(5)),
        channel="RCS",
        text="Saldi di primavera",
        fallback=True,
    )
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_prepare(campaign_id=campaign.pk)
    assert FallbackDraft.objects.filter(campaign=campaign).count() == 5
    _run(campaign.pk)
    sms = Message.objects.filter(campaign=campaign, channel="SMS")
    assert sorted(sms.values_list("phone", "status", "text")) == [
        (row["phone"], "DELIVERED", "Saldi di primavera") for row in italian_rows(5)
    ]
