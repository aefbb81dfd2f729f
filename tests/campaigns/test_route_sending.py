"""Campaigns go out through the account's own routes, and fail over between them."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
from django.test import Client

from campaigns import sending
from campaigns.models import Campaign
from campaigns.services import campaign_confirm
from contacts.models import OptOut
from messaging import failover
from messaging.gateways.base import GatewayUnavailable
from messaging.gateways.simulator.gateway import SIGNATURE_HEADER, sign
from messaging.gateways.simulator.reporting import simulator_reports_send
from messaging.models import InboundMessage, Message, Route
from messaging.receipts import reports_apply
from messaging.routes import RouteChanges, route_create
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list

CALLBACKS = "/api/partner-gateway/v1/callbacks/"


@pytest.fixture(autouse=True)
def _instant_reports(settings):
    settings.SIMULATOR_MIN_DELAY = 0
    settings.SIMULATOR_MAX_DELAY = 0
    settings.SEND_BATCH_SIZE = 5


@pytest.fixture(autouse=True)
def _fresh_failure_windows(settings):
    """Route keys repeat across test runs (fresh databases): forget old windows."""
    url = settings.RATE_LIMIT_REDIS_URL
    if url.startswith(("redis://", "rediss://")):
        client = redis.Redis.from_url(url)
        for name in client.scan_iter(match=f"{failover.REDIS_KEY_PREFIX}*"):
            client.delete(name)


def simulator_route(account, name="Main", priority=10, **settings_):
    return route_create(
        account=account,
        kind="simulator",
        channel="SMS",
        changes=RouteChanges(
            name=name,
            settings={"minDelaySeconds": 0, "maxDelaySeconds": 0, **settings_},
            priority=priority,
        ),
    )


def started(account, n=10):
    campaign = priced(account, make_list(account, italian_rows(n)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    assert sending.campaign_start(campaign_id=campaign.pk)
    return campaign


def finish(campaign_id: int) -> None:
    while sending.campaign_send_batch(campaign_id=campaign_id):
        pass
    while simulator_reports_send() or reports_apply():
        pass
    sending.campaign_try_complete(campaign_id=campaign_id)


def test_a_route_that_delivers_nothing_ends_all_undelivered(account, api):
    route = simulator_route(
        account, deliveredRate=0, undeliveredRate=1, expiredRate=0, rejectRate=0
    )
    campaign = started(account)
    assert Campaign.objects.get(pk=campaign.pk).gateway == route.key
    finish(campaign.pk)
    statuses = set(Message.objects.filter(campaign=campaign).values_list("status"))
    assert statuses == {("UNDELIVERED",)}
    assert set(Message.objects.filter(campaign=campaign).values_list("gateway")) == {
        (route.key,)
    }
    stats = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    assert stats["status"] == "COMPLETED"
    assert stats["byRoute"] == {route.key: 10}


def test_a_failing_route_is_demoted_and_the_next_takes_over(account, api, settings):
    settings.ROUTE_FAILOVER_ERRORS = 3
    failing = simulator_route(account, "Down", outage=True, priority=1)
    backup = simulator_route(
        account, "Backup", priority=2, deliveredRate=1, undeliveredRate=0, expiredRate=0
    )
    campaign = started(account, n=10)
    for _attempt in range(3):
        with pytest.raises(GatewayUnavailable):
            sending.campaign_send_batch(campaign_id=campaign.pk)
    failing.refresh_from_db()
    assert failing.demoted_until is not None
    # Nothing went out through the failing route, nothing is left claimed.
    assert not Message.objects.filter(campaign=campaign, status="SUBMITTED").exists()
    finish(campaign.pk)
    messages = Message.objects.filter(campaign=campaign)
    assert messages.filter(status="DELIVERED").count() == 10
    assert set(messages.values_list("gateway", flat=True)) == {backup.key}
    stats = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    assert stats["byRoute"] == {backup.key: 10}
    listed = api.get("/api/partner-gateway/v1/gateways").json()["gateways"]
    assert [g["demoted"] for g in listed] == [True, False]


def test_the_database_counts_errors_when_there_is_no_redis(account, settings):
    settings.RATE_LIMIT_REDIS_URL = "filesystem://"
    settings.ROUTE_FAILOVER_ERRORS = 2
    failing = simulator_route(account, "Down", outage=True, priority=1)
    campaign = started(account, n=5)
    for _attempt in range(2):
        with pytest.raises(GatewayUnavailable):
            sending.campaign_send_batch(campaign_id=campaign.pk)
    assert Route.objects.get(pk=failing.pk).demoted_until is not None


def _signed(body: dict, secret: str = "") -> dict:
    raw = json.dumps(body).encode()
    return {
        "data": raw,
        "content_type": "application/json",
        "headers": {SIGNATURE_HEADER: sign(raw, secret=secret)},
    }


def test_callbacks_refuse_a_bad_signature_and_an_unknown_route(account):
    route = simulator_route(account, signingSecret="route-own-secret")
    client = Client()
    body = {"inbound": [{"from": "+393330000001", "text": "STOP"}]}
    wrong = _signed(body)  # signed with the global secret, not the route's
    assert client.post(CALLBACKS + route.key, **wrong).status_code == 403
    assert client.post(CALLBACKS + "r999999", **wrong).status_code == 404
    answer = client.post(CALLBACKS + route.key, **_signed(body, "route-own-secret"))
    assert answer.status_code == 200
    assert answer.json() == {"reports": 0, "inbound": 1}
    assert not OptOut.objects.filter(phone="+393330000002").exists()


def test_stop_opts_out_the_next_campaign_skips_it_and_start_lets_it_back(account):
    route = simulator_route(account)
    client = Client()
    stop = {"inbound": [{"from": "+393330000001", "text": " Stop! ", "messageId": "a"}]}
    assert client.post(CALLBACKS + route.key, **_signed(stop)).status_code == 200
    client.post(CALLBACKS + route.key, **_signed(stop))  # redelivered: stored once
    reply = InboundMessage.objects.get(account=account)
    assert (reply.phone, reply.keyword, reply.gateway) == (
        "+393330000001",
        "STOP",
        route.key,
    )
    assert OptOut.objects.get(account=account, phone="+393330000001").source == "reply"

    campaign = started(account, n=3)
    finish(campaign.pk)
    phones = set(Message.objects.filter(campaign=campaign).values_list("phone"))
    assert phones == {("+393330000000",), ("+393330000002",)}

    start = {"inbound": [{"from": "+393330000001", "text": "start"}]}
    assert client.post(CALLBACKS + route.key, **_signed(start)).status_code == 200
    assert not OptOut.objects.filter(account=account, phone="+393330000001").exists()


def test_start_does_not_lift_an_opt_out_made_by_hand(account):
    route = simulator_route(account)
    OptOut.objects.create(account=account, phone="+393330000009", source="manual")
    body = {"inbound": [{"from": "+393330000009", "text": "START"}]}
    Client().post(CALLBACKS + route.key, **_signed(body))
    assert OptOut.objects.filter(account=account, phone="+393330000009").exists()


def test_replies_are_listed_for_their_account_only(account, api, other_api):
    route = simulator_route(account)
    body = {
        "inbound": [
            {"from": "+393330000001", "text": "Grazie!"},
            {"from": "+393330000002", "text": "BASTA"},
        ]
    }
    Client().post(CALLBACKS + route.key, **_signed(body))
    everything = api.get("/api/partner-gateway/v1/replies").json()
    assert [r["text"] for r in everything["replies"]] == ["BASTA", "Grazie!"]
    stops = api.get("/api/partner-gateway/v1/replies?keyword=any").json()
    assert [(r["phoneNumber"], r["keyword"]) for r in stops["replies"]] == [
        ("+393330000002", "BASTA")
    ]
    assert other_api.get("/api/partner-gateway/v1/replies").json()["replies"] == []


def test_a_provider_throttle_requeues_the_batch_untouched(account, monkeypatch):
    from messaging.gateways import kinds
    from messaging.gateways.base import GatewayThrottled
    from messaging.gateways.simulator.gateway import SimulatorGateway

    class Busy(SimulatorGateway):
        def submit(self, messages):
            raise GatewayThrottled(retry_after=7.5)

    monkeypatch.setitem(kinds.KINDS, "simulator", Busy)
    simulator_route(account)
    campaign = started(account, n=5)
    with pytest.raises(sending.Throttled) as throttled:
        sending.campaign_send_batch(campaign_id=campaign.pk)
    assert throttled.value.wait == 7.5
    queued = Message.objects.filter(campaign=campaign, status="QUEUED")
    assert queued.count() == 5
    assert not queued.filter(claim_token__isnull=False).exists()
    assert Route.objects.get(account=account).demoted_until is None


def test_the_callback_url_is_the_one_the_outermost_proxy_saw(rf, settings):
    from messaging.callbacks import callback_request

    settings.ALLOWED_HOSTS = ["*"]
    headers = {
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "megafono.example.com",
    }
    request = rf.post("/api/partner-gateway/v1/callbacks/r1?x=1", **headers)
    assert "megafono.example.com" not in callback_request(request).url
    settings.TRUSTED_PROXY_COUNT = 1
    assert (
        callback_request(request).url
        == "https://megafono.example.com/api/partner-gateway/v1/callbacks/r1?x=1"
    )


def test_an_rcs_route_answers_not_capable_for_its_share_of_numbers(account):
    from messaging.gateways.base import NOT_CAPABLE, OutgoingMessage
    from messaging.gateways.kinds import adapter_for
    from messaging.routes import route_spec

    route = route_create(
        account=account,
        kind="simulator",
        channel="RCS",
        changes=RouteChanges(name="RCS", settings={"notCapableRate": 1}),
    )
    outgoing = OutgoingMessage(
        id=1,
        client_ref=uuid.uuid4(),
        phone="+393330000001",
        sender="Shop",
        text="Ciao",
        parts=1,
        encoding="GSM-7",
        campaign_id=None,
    )
    [result] = adapter_for(route_spec(route.key)).submit([outgoing])
    assert (result.accepted, result.error_code) == (False, NOT_CAPABLE)


def test_a_route_failing_mid_campaign_splits_it_in_the_stats(
    account, api, client_logged, settings
):
    from messaging.routes import route_update

    settings.ROUTE_FAILOVER_ERRORS = 1
    main = simulator_route(account, "Main", priority=1)
    backup = simulator_route(account, "Backup", priority=2)
    campaign = started(account, n=10)
    assert sending.campaign_send_batch(campaign_id=campaign.pk) == 5
    route_update(
        account=account, pk=main.pk, changes=RouteChanges(settings={"outage": True})
    )
    with pytest.raises(GatewayUnavailable):
        sending.campaign_send_batch(campaign_id=campaign.pk)
    finish(campaign.pk)
    stats = api.get(f"/api/partner-gateway/v1/campaigns/{campaign.pk}/stats").json()
    assert stats["byRoute"] == {main.key: 5, backup.key: 5}
    assert stats["sent"] == 10
    page = client_logged.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="by-route"' in page


@pytest.mark.django_db(transaction=True)
def test_a_simulator_route_posts_its_reports_to_its_callback_url(
    account, live_server, settings
):
    """What `make run` does: reports travel over HTTP to /callbacks/<key>."""
    settings.MEGAFONO_PUBLIC_URL = live_server.url
    settings.SIMULATOR_REPORT_URL = (
        live_server.url + "/api/partner-gateway/v1/delivery-reports/simulator"
    )
    route = simulator_route(
        account,
        signingSecret="route-own-secret",
        deliveredRate=1,
        undeliveredRate=0,
        expiredRate=0,
    )
    campaign = started(account, n=3)
    finish(campaign.pk)
    messages = Message.objects.filter(campaign=campaign)
    assert set(messages.values_list("status", "gateway")) == {("DELIVERED", route.key)}
