"""The `google-rbm` adapter against a fake RBM API speaking Google's formats."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest

from messaging.gateways.base import (
    NOT_CAPABLE,
    CallbackRequest,
    GatewayThrottled,
    GatewayUnavailable,
    InvalidReport,
    OutgoingMessage,
    RouteSpec,
)
from messaging.gateways.google_rbm.gateway import GoogleRbmGateway
from messaging.models import MessageStatus
from tests.fakes.google_rbm import (
    CLIENT_TOKEN,
    FakeGoogleRbm,
    event,
    pushed,
    sign,
)


@pytest.fixture
def fake(httpserver, settings) -> FakeGoogleRbm:
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    return FakeGoogleRbm(httpserver)


def gateway(fake: FakeGoogleRbm, **overrides) -> GoogleRbmGateway:
    spec = RouteSpec(
        key="r9", kind="google-rbm", channel="RCS", settings=fake.settings(**overrides)
    )
    return GoogleRbmGateway(spec)


def message(phone: str = "+393471234567", **payload) -> OutgoingMessage:
    return OutgoingMessage(
        id=1,
        client_ref=uuid4(),
        phone=phone,
        sender="",
        text="Black Friday: 30% off until Sunday.",
        parts=1,
        encoding="",
        campaign_id=None,
        payload=payload,
    )


SUGGESTIONS = [
    {"reply": {"text": "Yes", "postbackData": "yes"}},
    {
        "action": {
            "text": "Open the shop",
            "postbackData": "open",
            "openUrlAction": {"url": "https://shop.example.com"},
        }
    },
]


def test_agent_message_carries_text_suggestions_and_our_reference(fake):
    """The messageId is our client reference; the body is Google's AgentMessage."""
    sent = message(suggestions=SUGGESTIONS)
    [result] = gateway(fake).submit([sent])

    assert result.accepted
    assert result.provider_id == str(sent.client_ref)
    assert fake.taken == {
        str(sent.client_ref): {
            "phone": "+393471234567",
            "body": {
                "contentMessage": {
                    "text": "Black Friday: 30% off until Sunday.",
                    "suggestions": SUGGESTIONS,
                }
            },
        }
    }


def test_a_phone_without_rcs_is_not_capable(fake):
    fake.not_capable.add("+393470000000")
    results = gateway(fake).submit([message("+393470000000"), message()])

    assert (results[0].accepted, results[0].permanent) == (False, True)
    assert results[0].error_code == NOT_CAPABLE
    assert results[0].error_reason == "Requested entity was not found."
    assert results[1].accepted


def test_capability_check_refuses_before_sending(fake):
    fake.not_capable.add("+393470000000")
    results = gateway(fake, checkCapability=True).submit(
        [message("+393470000000"), message()]
    )

    assert [r.error_code for r in results] == [NOT_CAPABLE, ""]
    assert fake.capability_checks == 2
    assert fake.sends == 1  # only the capable phone got an agent message


def test_a_bad_request_is_permanent_with_googles_reason(fake):
    [result] = gateway(fake, agentId="someone-else@rbm.goog").submit([message()])

    assert (result.accepted, result.permanent, result.error_code) == (
        False,
        True,
        "INVALID_ARGUMENT",
    )
    assert "suggestions" in result.error_reason


def test_the_same_message_id_twice_is_accepted_once(fake):
    """A retry of a message Google already took is answered 409 ALREADY_EXISTS:
    accepted, and the phone gets it once."""
    sent = message()
    first = gateway(fake).submit([sent])
    again = gateway(fake).submit([sent])

    assert first[0].accepted
    assert again[0].accepted
    assert fake.sends == 2
    assert len(fake.taken) == 1


def test_outage_half_way_then_retry_loses_and_duplicates_nothing(fake):
    """A 503 after two sends hands the batch back; the retry re-sends all four,
    Google answers the first two 409, and each phone has exactly one message."""
    batch = [message(f"+39347123456{i}") for i in range(4)]
    fake.fail_after = 2
    with pytest.raises(GatewayUnavailable, match="503"):
        gateway(fake).submit(batch)
    fake.fail_after = None
    results = gateway(fake).submit(batch)

    assert all(r.accepted for r in results)
    assert sorted(fake.taken) == sorted(str(m.client_ref) for m in batch)
    assert fake.sends == 3 + 4


def test_throttled_batch_is_slowed_not_failed(fake):
    fake.throttle = 1
    with pytest.raises(GatewayThrottled, match="RESOURCE_EXHAUSTED") as raised:
        gateway(fake).submit([message()])
    assert raised.value.retry_after == 1.0
    [result] = gateway(fake).submit([message()])
    assert result.accepted


def test_timeout_hands_the_batch_back(fake):
    fake.slow = 0.5
    with pytest.raises(GatewayUnavailable, match="unreachable"):
        gateway(fake, timeoutSeconds=0.1).submit([message()])


def _post(body: bytes, signature: str | None) -> CallbackRequest:
    headers = {} if signature is None else {"X-Goog-Signature": signature}
    return CallbackRequest(method="POST", url="", headers=headers, body=body)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("event_delivered.json", MessageStatus.DELIVERED),
        ("event_read.json", MessageStatus.DELIVERED),
    ],
)
def test_events_are_reports_by_our_reference(fake, name, status):
    ref = uuid4()
    data = event(name, messageId=str(ref))
    for body in (data, pushed(data)):  # webhook JSON, then a Pub/Sub push
        callback = gateway(fake).parse_callback(_post(body, sign(data)))
        assert [(r.client_ref, r.status) for r in callback.reports] == [(ref, status)]


def test_user_messages_are_inbound(fake):
    data = event("user_message.json")
    callback = gateway(fake).parse_callback(_post(pushed(data), sign(data)))

    assert [(m.phone, m.text) for m in callback.inbound] == [("+393471234567", "STOP")]
    assert callback.reports == []


@pytest.mark.parametrize(
    "signature", [None, "", sign(b"{}"), sign(event("event_read.json"), "wrong")]
)
def test_unsigned_or_badly_signed_events_are_refused(fake, signature):
    data = event("event_read.json", messageId=str(uuid4()))
    with pytest.raises(InvalidReport, match="X-Goog-Signature"):
        gateway(fake).parse_callback(_post(pushed(data), signature))


def test_webhook_setup_echoes_the_secret(fake):
    body = json.dumps({"clientToken": CLIENT_TOKEN, "secret": "1234567890"}).encode()
    callback = gateway(fake).parse_callback(_post(body, None))

    assert callback.response == (200, "application/json", b'{"secret": "1234567890"}')
    guessed = json.dumps({"clientToken": "guess", "secret": "1"}).encode()
    with pytest.raises(InvalidReport, match="clientToken"):
        gateway(fake).parse_callback(_post(guessed, None))
