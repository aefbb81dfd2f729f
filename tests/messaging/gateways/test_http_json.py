"""The generic JSON route, described by settings, against a fake JSON carrier."""

from __future__ import annotations

import json
import time
from uuid import uuid4

import pytest
from pydantic import ValidationError

from campaigns import sending
from campaigns.services import campaign_confirm
from messaging import dispatch
from messaging.gateways.base import (
    CallbackRequest,
    GatewayThrottled,
    GatewayUnavailable,
    InvalidReport,
    OutgoingMessage,
    RouteSpec,
)
from messaging.gateways.http_json.gateway import HttpJsonGateway, HttpJsonSettings
from messaging.models import Message
from tests.campaigns.builders import priced
from tests.campaigns.conftest import italian_rows, make_list
from tests.fakes.http_json import (
    API_KEY,
    SIGNING_SECRET,
    FakeAcme,
    acme_callback,
    fixture,
)

CALLBACK_URL = "https://megafono.example.com/api/partner-gateway/v1/callbacks/acme"
REPORTS = {
    "itemsPath": "events",
    "idPath": "messageId",
    "referencePath": "clientRef",
    "statusPath": "state",
    "errorCodePath": "err.code",
    "errorReasonPath": "err.text",
    "statuses": {
        "DELIVRD": "DELIVERED",
        "UNDELIV": "UNDELIVERED",
        "EXPIRED": "EXPIRED",
        "REJECTD": "REJECTED",
        "ENROUTE": "SUBMITTED",
    },
}


@pytest.fixture
def fake(fake_server) -> FakeAcme:
    return FakeAcme(fake_server)


def acme_settings(fake: FakeAcme | None = None, **overrides) -> dict:
    """The route a user would save for Acme SMS (one message per request)."""
    return {
        "url": fake.url("/v1/sms") if fake else "https://sms.acme.example/v1/sms",
        "authHeader": "X-Api-Key",
        "authValue": API_KEY,
        "body": {
            "to": "destination",
            "from": "source",
            "text": "content.text",
            "reference": "clientRef",
            "callbackUrl": "notifyUrl",
        },
        "constants": {"content.type": "text"},
        "idPath": "data.messageId",
        "throttleWhen": {"path": "error.code", "values": ["RATE_LIMIT"]},
        "refuseWhen": {"path": "state", "values": ["REJECTED"]},
        "errorCodePath": "error.code",
        "errorReasonPath": "error.text",
        "reports": REPORTS,
        "signatureHeader": "X-Acme-Signature",
        "signingSecret": SIGNING_SECRET,
        "signaturePrefix": "sha256=",
        "concurrency": 1,
        "timeoutSeconds": 0.3,
        **overrides,
    }


def batch_settings(fake: FakeAcme, **overrides) -> dict:
    return acme_settings(
        fake,
        url=fake.url("/v1/sms/batch"),
        batch=True,
        batchSize=3,
        batchPath="messages",
        batchConstants={"campaign": "megafono"},
        answerItemsPath="results",
        idPath="messageId",
        **overrides,
    )


def route(settings: dict) -> HttpJsonGateway:
    return HttpJsonGateway(
        RouteSpec("acme", "http-json", "SMS", settings, callback_url=CALLBACK_URL)
    )


def outgoing(i: int = 0, phone: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(
        id=i,
        client_ref=uuid4(),
        phone=phone or f"+39333{i:07d}",
        sender="ShopItalia",
        text="Saldi -30%",
        parts=1,
        encoding="GSM-7",
        campaign_id=None,
    )


# -- submitting --------------------------------------------------------------


def test_one_message_is_mapped_into_the_providers_body(fake):
    message = outgoing()
    [result] = route(acme_settings(fake)).submit([message])
    assert result.accepted
    assert result.provider_id == "ACME-0001"
    assert fake.bodies == [
        {
            "destination": "+393330000000",
            "source": "ShopItalia",
            "content": {"text": "Saldi -30%", "type": "text"},
            "clientRef": str(message.client_ref),
            "notifyUrl": CALLBACK_URL,
        }
    ]
    assert fake.headers[0]["X-Api-Key"] == API_KEY


def test_a_refused_number_is_final_with_the_providers_code(fake):
    good, bad = outgoing(1), outgoing(2, phone="+390000000000")
    accepted, refused = route(acme_settings(fake)).submit([good, bad])
    assert accepted.accepted
    assert (refused.accepted, refused.permanent) == (False, True)
    assert refused.error_code == "BAD_NUMBER"
    assert refused.error_reason == "Destination is not a valid number"


def test_batch_mode_sends_lists_and_reads_each_item(fake):
    messages = [outgoing(i) for i in range(5)]
    messages[3] = outgoing(3, phone="+390000000000")
    results = route(batch_settings(fake)).submit(messages)
    assert [len(b["messages"]) for b in fake.bodies] == [3, 2]
    assert fake.bodies[0]["campaign"] == "megafono"
    assert [r.accepted for r in results] == [True, True, True, False, True]
    assert results[3].error_code == "BAD_NUMBER"
    assert [r.client_ref for r in results] == [m.client_ref for m in messages]
    assert results[4].provider_id == "ACME-0004"


def test_a_429_throttles_with_retry_after(fake):
    fake.throttle_next, fake.retry_after = 1, "4"
    with pytest.raises(GatewayThrottled) as raised:
        route(acme_settings(fake)).submit([outgoing(1), outgoing(2)])
    assert raised.value.retry_after == 4.0
    assert raised.value.results == []
    assert fake.requests == 1


def test_throttling_said_in_the_body_of_a_200_throttles_too(fake):
    fake.throttle_in_body = 1
    with pytest.raises(GatewayThrottled):
        route(acme_settings(fake)).submit([outgoing()])
    assert fake.taken == []


def test_an_outage_after_some_messages_keeps_those(fake):
    messages = [outgoing(i) for i in range(6)]
    fake.outage_after = 2
    with pytest.raises(GatewayUnavailable) as raised:
        route(acme_settings(fake)).submit(messages)
    assert [r.client_ref for r in raised.value.results] == [
        m.client_ref for m in messages[:2]
    ]


def test_a_timeout_is_an_outage(fake):
    fake.mode, fake.hang = "timeout", 1.0
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable, match="timed out"):
        route(acme_settings(fake)).submit([outgoing(1), outgoing(2)])
    assert time.monotonic() - started < 0.9


def test_a_wrong_key_holds_the_batch_back(fake):
    with pytest.raises(GatewayUnavailable, match="401"):
        route(acme_settings(fake, authValue="wrong")).submit([outgoing()])


def test_outage_then_recovery_on_real_messages_sends_each_once(account, fake):
    """Dispatch + batch mode: nothing lost, nothing duplicated."""
    campaign = priced(account, make_list(account, italian_rows(10)))
    campaign_confirm(account=account, pk=campaign.pk, send_immediately=True)
    sending.campaign_prepare(campaign_id=campaign.pk)
    acme = route(batch_settings(fake))
    fake.outage_after = 2  # two requests (chunks of three) pass, then it is down

    def submit():
        claim = dispatch.messages_claim(campaign_id=campaign.pk, size=100)
        return dispatch.messages_submit(
            claim=claim, gateway=acme, account_id=account.pk
        )

    with pytest.raises(GatewayUnavailable):
        submit()
    rows = Message.objects.filter(campaign=campaign)
    assert rows.filter(status="SUBMITTED").count() == 6
    assert rows.filter(status="QUEUED", claim_token__isnull=True).count() == 4
    fake.mode = "ok"
    assert submit() == {"SUBMITTED": 4}
    assert set(fake.per_reference().values()) == {1}
    assert len(fake.per_destination()) == 10
    refs = {str(r) for r in rows.values_list("client_ref", flat=True)}
    assert set(fake.per_reference()) == refs
    assert set(rows.values_list("provider_id", flat=True)) == {
        f"acme-{i:04d}" for i in range(1, 11)
    }


# -- reports -----------------------------------------------------------------


def test_reports_are_read_through_the_status_table():
    callback = route(acme_settings()).parse_callback(
        acme_callback(CALLBACK_URL, fixture("reports.json"))
    )
    assert [(r.provider_id, r.status) for r in callback.reports] == [
        ("ACME-0001", "DELIVERED"),
        ("ACME-0002", "UNDELIVERED"),
        ("ACME-0003", "SUBMITTED"),
    ]  # SOMETHING_NEW is not in the table: ignored
    undelivered = callback.reports[1]
    assert (undelivered.error_code, undelivered.error_reason) == (
        "ABSENT",
        "Subscriber absent",
    )
    assert callback.response is None


def test_a_report_can_be_matched_by_our_reference_alone():
    ref = uuid4()
    settings = acme_settings(reports={**REPORTS, "itemsPath": None, "idPath": None})
    [report] = (
        route(settings)
        .parse_callback(
            acme_callback(CALLBACK_URL, {"clientRef": str(ref), "state": "delivrd"})
        )
        .reports
    )
    assert (report.client_ref, report.status) == (ref, "DELIVERED")


def test_a_bad_signature_is_refused():
    good = acme_callback(CALLBACK_URL, fixture("reports.json"))
    forged = acme_callback(CALLBACK_URL, fixture("reports.json"), secret="guess!!!")
    tampered = CallbackRequest(
        "POST", CALLBACK_URL, good.headers, good.body.replace(b"DELIVRD", b"EXPIRED")
    )
    unsigned = CallbackRequest("POST", CALLBACK_URL, {}, good.body)
    for request in (forged, tampered, unsigned):
        with pytest.raises(InvalidReport):
            route(acme_settings()).parse_callback(request)


def test_base64_signatures_without_prefix_are_understood():
    import base64
    import hashlib
    import hmac

    body = json.dumps(fixture("reports.json")).encode()
    mac = hmac.new(SIGNING_SECRET.encode(), body, hashlib.sha256).digest()
    settings = acme_settings(signatureEncoding="base64", signaturePrefix="")
    request = CallbackRequest(
        "POST", CALLBACK_URL, {"x-acme-signature": base64.b64encode(mac).decode()}, body
    )
    assert len(route(settings).parse_callback(request).reports) == 3


def test_a_malformed_report_is_refused():
    for body in ({"events": "nope"}, {"events": [{"state": "DELIVRD"}]}):
        with pytest.raises(InvalidReport):
            route(acme_settings()).parse_callback(acme_callback(CALLBACK_URL, body))
    with pytest.raises(InvalidReport, match="not JSON"):
        route(acme_settings(signatureHeader=None, signingSecret=None)).parse_callback(
            CallbackRequest("POST", CALLBACK_URL, {}, b"<xml/>")
        )


# -- settings ----------------------------------------------------------------


def error_of(**overrides) -> str:
    with pytest.raises(ValidationError) as raised:
        HttpJsonSettings.model_validate(acme_settings(**overrides))
    return str(raised.value)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"url": "ftp://sms.acme.example"}, "url", "http"),
        ({"body": {"to": "a", "txt": "b"}}, "body", "unknown field 'txt'"),
        ({"body": {"to": "a"}}, "body", "'to' and 'text'"),
        ({"body": {"to": "msg", "text": "msg.text"}}, "body", "overlap"),
        ({"body": {"to": "a b", "text": "c"}}, "body", "dotted path"),
        ({"idPath": "data.[oops"}, "idPath", "JMESPath"),
        ({"reports": {**REPORTS, "statuses": {}}}, "reports.statuses", "at least 1"),
        (
            {"reports": {**REPORTS, "statuses": {"OK": "GREAT"}}},
            "reports.statuses.OK",
            "DELIVERED",
        ),
        (
            {"reports": {**REPORTS, "idPath": None, "referencePath": None}},
            "reports",
            "idPath or referencePath",
        ),
        ({"signingSecret": None}, "", "go together"),
        (
            {"batchPath": "messages", "batchConstants": {"messages.x": 1}},
            "",
            "overlap",
        ),
        ({"refuseStatuses": [429]}, "", "both throttle and refuse"),
        ({"throttleStatuses": [503]}, "throttleStatuses", "4xx"),
        ({"method": "GET"}, "method", "POST"),
        ({"colour": "blue"}, "colour", "Extra inputs"),
        ({"headers": {"X Bad": "1"}}, "headers", "not a valid header"),
    ],
)
def test_settings_errors_name_the_field(overrides, field, words):
    message = error_of(**overrides)
    assert field in message
    assert words in message


def test_the_defaults_make_a_minimal_route_valid():
    minimal = HttpJsonSettings.model_validate(
        {
            "url": "https://sms.acme.example/send",
            "reports": {"statuses": {"delivered": "DELIVERED"}},
        }
    )
    assert minimal.body["to"] == "to"
    assert minimal.throttleStatuses == [429]
    assert HttpJsonGateway.secret_fields == {"authValue", "signingSecret"}


def test_both_kinds_are_registered():
    from messaging.gateways.kinds import KINDS, adapter_for

    assert KINDS["http-json"] is HttpJsonGateway
    spec = RouteSpec("acme", "http-json", "SMS", acme_settings(), CALLBACK_URL)
    assert isinstance(adapter_for(spec), HttpJsonGateway)
    assert KINDS["twilio"].kind == "twilio"
