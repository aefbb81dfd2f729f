"""The `whatsapp-cloud` adapter against a fake Cloud API speaking Meta's formats."""

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
from messaging.gateways.whatsapp_cloud.gateway import WhatsAppCloudGateway
from messaging.models import MessageStatus
from tests.fakes.whatsapp_cloud import (
    VERIFY_TOKEN,
    FakeWhatsAppCloud,
    fixture_bytes,
    sign,
)


@pytest.fixture
def fake(httpserver, settings) -> FakeWhatsAppCloud:
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    return FakeWhatsAppCloud(httpserver)


def gateway(fake: FakeWhatsAppCloud, **overrides) -> WhatsAppCloudGateway:
    spec = RouteSpec(
        key="r7",
        kind="whatsapp-cloud",
        channel="WHATSAPP",
        settings=fake.settings(**overrides),
    )
    return WhatsAppCloudGateway(spec)


def message(phone: str = "+393471234567", **template) -> OutgoingMessage:
    template = template or {
        "name": "black_friday_v2",
        "language": "it",
        "parameters": ["Giulia", "BF30-AX12"],
    }
    return OutgoingMessage(
        id=1,
        client_ref=uuid4(),
        phone=phone,
        sender="",
        text="Ciao Giulia, il tuo codice BF30-AX12 vale il 30% fino a domenica.",
        parts=1,
        encoding="",
        campaign_id=None,
        payload={"template": template},
    )


def test_template_message_is_sent_in_metas_shape(fake):
    """The body names the template, its language and the body parameters, in order,
    to the number without its plus; Meta's wamid comes back as the provider id."""
    sent = message()
    [result] = gateway(fake).submit([sent])

    assert result.accepted
    assert result.provider_id == "wamid.FAKE000001"
    assert fake.accepted == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "393471234567",
            "type": "template",
            "template": {
                "name": "black_friday_v2",
                "language": {"code": "it"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Giulia"},
                            {"type": "text", "text": "BF30-AX12"},
                        ],
                    }
                ],
            },
        }
    ]


def test_template_without_variables_has_no_components(fake):
    gateway(fake).submit([message(name="order_update", language="en_US")])

    assert "components" not in fake.accepted[0]["template"]


def test_not_a_whatsapp_user_is_not_capable_and_permanent(fake):
    """131026 refuses that one number for good, as NOT_CAPABLE (SMS fallback acts);
    the others of the batch go."""
    fake.not_users.add("393470000000")
    results = gateway(fake).submit([message("+393470000000"), message()])

    assert (results[0].accepted, results[0].permanent) == (False, True)
    assert results[0].error_code == NOT_CAPABLE
    assert results[0].error_reason == "Message Undeliverable."
    assert results[1].accepted


@pytest.mark.parametrize(
    ("template", "code", "reason"),
    [
        (
            {"name": "black_friday_v9", "language": "it", "parameters": []},
            "132001",
            "template name (black_friday_v9) does not exist in it",
        ),
        (None, "131047", "more than 24 hours have passed"),
    ],
)
def test_template_problems_are_permanent_with_metas_reason(
    fake, template, code, reason
):
    sent = message(**template) if template else message()
    if template is None:  # no template at all: a free-text message
        sent = OutgoingMessage(**{**sent.__dict__, "payload": {}})
    [result] = gateway(fake).submit([sent])

    assert (result.accepted, result.permanent, result.error_code) == (
        False,
        True,
        code,
    )
    assert reason in result.error_reason


def test_throttle_at_the_start_of_a_batch_slows_the_whole_batch(fake):
    fake.throttle = 1
    with pytest.raises(GatewayThrottled, match="130429") as raised:
        gateway(fake).submit([message(), message()])

    assert raised.value.retry_after == 1.0
    assert fake.accepted == []


def _after(fake: FakeWhatsAppCloud, n: int, **mode: int) -> None:
    """From the fake's call number `n` on, switch on a failure mode."""
    original, calls = fake._send, []

    def handler(request):
        calls.append(1)
        if len(calls) == n:
            for name, value in mode.items():
                setattr(fake, name, value)
        return original(request)

    fake.server.clear()
    fake.server.expect_request(
        "/v21.0/106540352242922/messages", method="POST"
    ).respond_with_handler(handler)


def test_throttle_half_way_keeps_what_was_taken_and_hands_back_the_rest(fake):
    """Meta took the first message: it rides on the throttle (no duplicate); the
    others are handed back and queued again."""
    batch = [message(), message(), message()]
    _after(fake, 2, throttle=5)
    with pytest.raises(GatewayThrottled, match="130429") as raised:
        gateway(fake).submit(batch)

    assert [(r.client_ref, r.accepted) for r in raised.value.results] == [
        (batch[0].client_ref, True)
    ]
    assert len(fake.accepted) == 1


def test_outage_half_way_hands_back_only_the_unsent(fake):
    """A 500 after two accepted sends: those two ride on the outage as accepted,
    the rest are handed back; the retry sends each of them once."""
    batch = [message(), message(), message(), message()]
    g = gateway(fake)
    _after(fake, 3, outage=1)
    with pytest.raises(GatewayUnavailable) as raised:
        g.submit(batch)

    results = raised.value.results
    assert [r.accepted for r in results] == [True, True]
    assert [r.client_ref for r in results] == [m.client_ref for m in batch[:2]]
    retried = g.submit(batch[2:])
    assert all(r.accepted for r in retried)
    assert len(fake.accepted) == 4


def test_outage_at_the_start_raises_unavailable(fake):
    fake.outage = 1
    with pytest.raises(GatewayUnavailable, match="500"):
        gateway(fake).submit([message()])


def test_timeout_raises_unavailable(fake):
    fake.slow = 0.5
    with pytest.raises(GatewayUnavailable, match="unreachable"):
        gateway(fake, timeoutSeconds=0.1).submit([message()])


def test_expired_token_keeps_messages_queued(fake):
    """A wrong or expired token is the route's problem, not the recipients': the
    batch is handed back instead of failing every message."""
    with pytest.raises(GatewayUnavailable, match="401"):
        gateway(fake, accessToken="EAAG-expired").submit([message()])


def _post(body: bytes, signature: str | None) -> CallbackRequest:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return CallbackRequest(
        method="POST",
        url="https://megafono.example.com/api/partner-gateway/v1/callbacks/r7",
        headers=headers,
        body=body,
    )


def test_statuses_map_to_ours_and_131026_is_not_capable(fake):
    body = fixture_bytes("webhook_statuses.json")
    callback = gateway(fake).parse_callback(_post(body, sign(body)))

    assert [(r.provider_id, r.status, r.error_code) for r in callback.reports] == [
        ("wamid.SENT0001", MessageStatus.SUBMITTED, ""),
        ("wamid.DELIVERED0002", MessageStatus.DELIVERED, ""),
        ("wamid.READ0003", MessageStatus.DELIVERED, ""),
        ("wamid.FAILED0004", MessageStatus.FAILED, NOT_CAPABLE),
        ("wamid.FAILED0005", MessageStatus.FAILED, "132015"),
    ]
    assert callback.reports[4].error_reason.startswith("Template is paused")
    assert callback.response is None


def test_text_replies_become_inbound_messages(fake):
    body = fixture_bytes("webhook_message.json")
    callback = gateway(fake).parse_callback(_post(body, sign(body)))

    assert [(m.phone, m.text, m.provider_id, m.to) for m in callback.inbound] == [
        ("+393471234567", "STOP", "wamid.REPLY0001", "+15550783881")
    ]


@pytest.mark.parametrize(
    "signature",
    [None, "sha256=" + "0" * 64, sign(b"another body"), sign(b"x", "wrong secret")],
)
def test_unsigned_or_badly_signed_notifications_are_refused(fake, signature):
    body = fixture_bytes("webhook_statuses.json")
    with pytest.raises(InvalidReport, match="X-Hub-Signature-256"):
        gateway(fake).parse_callback(_post(body, signature))


def test_signature_header_is_read_in_any_case(fake):
    body = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()
    request = CallbackRequest(
        method="POST", url="", headers={"x-hub-signature-256": sign(body)}, body=body
    )
    assert gateway(fake).parse_callback(request).reports == []


def _handshake(token: str, mode: str = "subscribe") -> CallbackRequest:
    query = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"}
    return CallbackRequest(method="GET", url="", headers={}, body=b"", query=query)


def test_verify_token_handshake_echoes_the_challenge(fake):
    callback = gateway(fake).parse_callback(_handshake(VERIFY_TOKEN))

    assert callback.response == (200, "text/plain", b"1158201444")


@pytest.mark.parametrize(
    ("token", "mode"), [("guessed", "subscribe"), (VERIFY_TOKEN, "unsubscribe")]
)
def test_wrong_verify_token_is_refused(fake, token, mode):
    with pytest.raises(InvalidReport, match="verify_token"):
        gateway(fake).parse_callback(_handshake(token, mode))


def test_a_private_base_url_is_refused_when_not_allowed(fake, settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = False
    with pytest.raises(ValueError, match="private"):
        gateway(fake)
