"""Claiming by route (what a bind does) and campaign lanes leaving such routes alone."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns import sending
from messaging import dispatch
from messaging.models import Message, Route
from tests.messaging.smpp.conftest import ROUTE, queue_single, sending_campaign


def test_a_route_claim_takes_single_sends_and_sending_campaigns_only(account):
    campaign = sending_campaign(account, 3, "Ciao")
    single = queue_single(account, "+393331110000", "Ciao")
    paused = sending_campaign(account, 2, "Pausa")
    sending.campaign_pause(account=account, pk=paused.pk)
    elsewhere = queue_single(account, "+393332220000", "Ciao")
    Message.objects.filter(pk=elsewhere.pk).update(gateway="simulator")

    first = dispatch.messages_claim_route(gateway=ROUTE, size=2)
    second = dispatch.messages_claim_route(gateway=ROUTE, size=10)
    third = dispatch.messages_claim_route(gateway=ROUTE, size=10)

    expected = {*campaign.messages.values_list("id", flat=True), single.id}
    assert len(first.ids) == 2
    assert set(first.ids) | set(second.ids) == expected
    assert not set(first.ids) & set(second.ids)
    assert not third


def test_a_stale_route_claim_is_taken_over_unless_touched(account, settings):
    message = queue_single(account, "+393331110000", "Ciao")
    claim = dispatch.messages_claim_route(gateway=ROUTE, size=10)
    long_ago = timezone.now() - timedelta(seconds=settings.SEND_CLAIM_TIMEOUT + 1)
    Message.objects.filter(pk=message.pk).update(claimed_at=long_ago)
    dispatch.messages_claim_touch([claim.token])
    assert not dispatch.messages_claim_route(gateway=ROUTE, size=10)

    Message.objects.filter(pk=message.pk).update(claimed_at=long_ago)
    assert dispatch.messages_claim_route(gateway=ROUTE, size=10).ids == [message.id]


def test_campaign_lanes_hand_a_long_lived_routes_messages_to_its_bind(account):
    route = Route.objects.create(
        account=account, kind="smpp", channel="SMS", name="SMSC", is_default=True
    )
    campaign = sending_campaign(account, 3, "Ciao")
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 0
    rows = Message.objects.filter(campaign=campaign)
    assert set(rows.values_list("status", "claim_token", "gateway")) == {
        ("QUEUED", None, route.key)
    }
    assert campaign.pk not in sending.campaigns_stalled()
    assert dispatch.messages_claim_route(gateway=route.key, size=10)  # the bind's
