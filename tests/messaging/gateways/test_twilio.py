"""The Twilio adapter against a fake Twilio speaking its documented format."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs
from uuid import uuid4

import pytest
from pydantic import ValidationError

from messaging.gateways.base import (
    OPTED_OUT,
    CallbackRequest,
    GatewayThrottled,
    GatewayUnavailable,
    InvalidReport,
    OutgoingMessage,
    RouteSpec,
)
from messaging.gateways.twilio.gateway import (
    SIGNATURE_HEADER,
    TwilioGateway,
    TwilioSettings,
    signature,
)
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, twilio_callback

CALLBACK_URL = "https://megafono.example.com/api/partner-gateway/v1/callbacks/tw-main"


@pytest.fixture
def fake(fake_server) -> FakeTwilio:
    return FakeTwilio(fake_server)


def gateway(fake: FakeTwilio | None = None, **settings) -> TwilioGateway:
    values = {
        "accountSid": ACCOUNT_SID,
        "authToken": AUTH_TOKEN,
        "from": "+15017122661",
        "baseUrl": fake.base_url if fake else "https://api.twilio.com",
        "concurrency": 1,
        **settings,
    }
    values = {k: v for k, v in values.items() if v is not None}
    spec = RouteSpec(
        key="tw-main",
        kind="twilio",
        channel="SMS",
        settings=values,
        callback_url=CALLBACK_URL,
    )
    return TwilioGateway(spec)


def outgoing(phone: str = "+393331234567", **fields) -> OutgoingMessage:
    values = {
        "id": 1,
        "client_ref": uuid4(),
        "phone": phone,
        "sender": "ShopItalia",
        "text": "Saldi -30%",
        "parts": 1,
        "encoding": "GSM-7",
        "campaign_id": None,
        **fields,
    }
    return OutgoingMessage(**values)


def batch(n: int) -> list[OutgoingMessage]:
    return [outgoing(f"+39333{i:07d}", id=i) for i in range(n)]


# -- submitting --------------------------------------------------------------


def test_a_message_is_one_form_post_with_basic_auth_and_the_callback(fake):
    message = outgoing()
    [result] = gateway(fake).submit([message])

    assert result.accepted
    assert result.client_ref == message.client_ref
    assert result.provider_id.startswith("SM")
    [form] = fake.created
    assert form == {
        "To": "+393331234567",
        "From": "+15017122661",
        "Body": "Saldi -30%",
        "StatusCallback": CALLBACK_URL,
    }
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert fake.auth_headers == [f"Basic {credentials}"]


def test_a_messaging_service_replaces_from(fake):
    service = "MG" + "a" * 32
    gateway(fake, **{"from": None}, messagingServiceSid=service).submit([outgoing()])
    assert fake.created[0]["MessagingServiceSid"] == service
    assert "From" not in fake.created[0]


def test_sender_from_message_sends_the_campaigns_sender(fake):
    gateway(fake, senderFromMessage=True).submit([outgoing()])
    assert fake.created[0]["From"] == "ShopItalia"


@pytest.mark.parametrize(
    ("phone", "code", "words"),
    [
        ("+15005550001", "21211", "Invalid 'To'"),
        ("+15005550004", OPTED_OUT, "unsubscribed"),
        ("+15005550009", "21614", "not a valid mobile"),
        ("+15005550006", "30006", "Landline"),
    ],
)
def test_permanent_refusals_carry_the_code_and_twilios_message(
    fake, phone, code, words
):
    good, bad = outgoing(), outgoing(phone)
    accepted, refused = gateway(fake).submit([good, bad])
    assert accepted.accepted
    assert not refused.accepted
    assert refused.permanent
    assert refused.client_ref == bad.client_ref
    assert refused.error_code == code
    assert words in refused.error_reason


def test_wrong_credentials_hold_the_batch_back(fake):
    with pytest.raises(GatewayUnavailable, match="401") as raised:
        gateway(fake, authToken="not-the-token").submit(batch(3))
    assert raised.value.results == []


def test_a_redirect_is_the_routes_problem_not_the_messages(fake_server):
    fake_server.expect_request(
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    ).respond_with_data("", status=301, headers={"Location": "https://elsewhere/"})
    with pytest.raises(GatewayUnavailable, match="301"):
        gateway(baseUrl=fake_server.url_for("").rstrip("/")).submit(batch(1))


def test_a_429_throttles_with_retry_after_and_keeps_what_was_accepted(fake):
    messages = batch(5)
    twilio = gateway(fake)
    twilio.submit(messages[:2])
    fake.throttle_next = 1
    fake.retry_after = "7"
    with pytest.raises(GatewayThrottled) as raised:
        twilio.submit(messages[2:])
    assert raised.value.retry_after == 7.0
    assert raised.value.results == []  # the first request of this batch was refused
    assert fake.requests == 3  # it stopped at the 429: nothing more tried


def test_an_outage_mid_batch_reports_what_twilio_took(fake):
    messages = batch(10)
    fake.outage_after = 4
    with pytest.raises(GatewayUnavailable) as raised:
        gateway(fake).submit(messages)
    assert not isinstance(raised.value, GatewayThrottled)
    taken = raised.value.results
    assert [r.client_ref for r in taken] == [m.client_ref for m in messages[:4]]
    assert all(r.accepted and r.provider_id for r in taken)
    assert fake.requests == 5


def test_a_timeout_is_an_outage_not_a_failure(fake):
    fake.mode, fake.hang = "timeout", 1.0
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable, match="timed out"):
        gateway(fake, timeoutSeconds=0.2).submit(batch(3))
    assert time.monotonic() - started < 0.9  # gave up after the first, not all three
    assert fake.created == []


def test_a_connection_refused_is_an_outage(settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = True
    with pytest.raises(GatewayUnavailable, match="unreachable"):
        gateway(baseUrl="http://127.0.0.1:9").submit(batch(1))


def test_parallel_requests_share_one_client_and_respect_the_bound(fake):
    """16 messages at 100 ms each: 1.6 s one at a time, ~0.2 s eight at a time.

    (The bound is checked by the fake; timings get a wide margin, the machine
    is shared.)
    """
    fake.latency = 0.1
    started = time.monotonic()
    gateway(fake, concurrency=1).submit(batch(16))
    serial = time.monotonic() - started
    assert fake.peak_in_flight == 1
    fake.peak_in_flight = 0
    started = time.monotonic()
    results = gateway(fake, concurrency=8).submit(batch(16))
    parallel = time.monotonic() - started
    assert all(r.accepted for r in results)
    assert 1 < fake.peak_in_flight <= 8
    assert parallel < serial / 2
    assert len(fake.created) == 32


# -- settings ----------------------------------------------------------------


def settings_error(**values) -> str:
    base = {"accountSid": ACCOUNT_SID, "authToken": AUTH_TOKEN, "from": "+1555"}
    with pytest.raises(ValidationError) as raised:
        TwilioSettings.model_validate({**base, **values})
    return str(raised.value)


def test_settings_need_exactly_one_sender():
    assert "either from or messagingServiceSid" in settings_error(
        messagingServiceSid="MG" + "0" * 32
    )
    assert "either from or messagingServiceSid" in settings_error(**{"from": None})


def test_settings_name_the_bad_field():
    assert "accountSid" in settings_error(accountSid="nope")
    assert "baseUrl" in settings_error(baseUrl="ftp://api.twilio.com")
    assert "concurrency" in settings_error(concurrency=500)
    assert "colour" in settings_error(colour="blue")


def test_an_alphanumeric_sender_may_have_spaces_but_not_symbols():
    base = {"accountSid": ACCOUNT_SID, "authToken": AUTH_TOKEN}
    assert TwilioSettings.model_validate({**base, "from": "Shop Italia"}).from_
    assert "from" in settings_error(**{"from": "Shop;Italia"})


def test_settings_are_stored_under_the_names_the_api_takes():
    typed = {"accountSid": ACCOUNT_SID, "authToken": AUTH_TOKEN, "from": "+1555"}
    stored = TwilioSettings(**typed).model_dump(mode="json", exclude_unset=True)
    assert stored == typed
    assert TwilioSettings.model_validate(stored, context={"stored": True}).from_


def test_a_private_base_url_is_refused_when_typed(settings):
    settings.MEGAFONO_ALLOW_PRIVATE_URLS = False
    assert "private" in settings_error(baseUrl="http://127.0.0.1:8080")


# -- callbacks ---------------------------------------------------------------


def test_signature_matches_twilios_documented_example():
    """The example in Twilio's webhook security docs (auth token 12345)."""
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, list(params.items())) == (
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


def status_params(status: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": "+15017122661",
        "MessageSid": "SM" + "b" * 32,
        "MessageStatus": status,
        "SmsSid": "SM" + "b" * 32,
        "SmsStatus": status,
        "To": "+393331234567",
        **extra,
    }


@pytest.mark.parametrize(
    ("twilio_status", "ours"),
    [
        ("queued", "SUBMITTED"),
        ("accepted", "SUBMITTED"),
        ("sending", "SUBMITTED"),
        ("sent", "SUBMITTED"),
        ("delivered", "DELIVERED"),
        ("undelivered", "UNDELIVERED"),
        ("failed", "FAILED"),
    ],
)
def test_status_callbacks_map_to_our_statuses(twilio_status, ours):
    callback = gateway().parse_callback(
        twilio_callback(CALLBACK_URL, status_params(twilio_status))
    )
    [report] = callback.reports
    assert report.status == ours
    assert report.provider_id == "SM" + "b" * 32
    assert callback.response == (
        200,
        "text/xml",
        b'<?xml version="1.0" encoding="UTF-8"?><Response/>',
    )


def test_a_failure_callback_carries_the_error_code():
    params = status_params("undelivered", ErrorCode="30006")
    [report] = gateway().parse_callback(twilio_callback(CALLBACK_URL, params)).reports
    assert report.error_code == "30006"
    assert "Landline" in report.error_reason


def test_an_incoming_sms_is_a_reply():
    params = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": "SM" + "c" * 32,
        "SmsSid": "SM" + "c" * 32,
        "SmsStatus": "received",
        "From": "+393331234567",
        "To": "+15017122661",
        "Body": "STOP",
        "NumMedia": "0",
        "NumSegments": "1",
    }
    callback = gateway().parse_callback(twilio_callback(CALLBACK_URL, params))
    assert callback.reports == []
    [reply] = callback.inbound
    assert (reply.phone, reply.text, reply.to) == (
        "+393331234567",
        "STOP",
        "+15017122661",
    )
    assert reply.provider_id == "SM" + "c" * 32
    assert callback.response[1] == "text/xml"


def test_an_incoming_sms_with_status_received_is_a_reply_too():
    params = {"MessageSid": "SM" + "d" * 32, "MessageStatus": "received"}
    params |= {"From": "+393331234567", "To": "+15017122661", "Body": "Basta"}
    callback = gateway().parse_callback(twilio_callback(CALLBACK_URL, params))
    assert [m.text for m in callback.inbound] == ["Basta"]
    unknown = status_params("receiving")
    assert (
        gateway().parse_callback(twilio_callback(CALLBACK_URL, unknown)).reports == []
    )


def test_a_wrong_or_missing_signature_is_refused():
    good = twilio_callback(CALLBACK_URL, status_params("delivered"))
    forged = twilio_callback(CALLBACK_URL, status_params("delivered"), token="guess")
    tampered = CallbackRequest(
        method="POST",
        url=good.url,
        headers=good.headers,
        body=good.body.replace(b"delivered", b"failed"),
    )
    unsigned = CallbackRequest(method="POST", url=good.url, headers={}, body=good.body)
    other_url = CallbackRequest(
        method="POST",
        url=CALLBACK_URL.replace("tw-main", "tw-other"),
        headers=good.headers,
        body=good.body,
    )
    for request in (forged, tampered, unsigned, other_url):
        with pytest.raises(InvalidReport):
            gateway().parse_callback(request)
    assert gateway().parse_callback(good).reports


def test_the_signature_holds_with_or_without_the_default_port():
    signed = twilio_callback(CALLBACK_URL, status_params("sent"))
    seen = CallbackRequest(
        method="POST",
        url=CALLBACK_URL.replace(".com/", ".com:443/"),
        headers={SIGNATURE_HEADER.lower(): signed.headers[SIGNATURE_HEADER]},
        body=signed.body,
    )
    assert gateway().parse_callback(seen).reports[0].status == "SUBMITTED"
    assert parse_qs(signed.body.decode())["MessageStatus"] == ["sent"]
