"""Twilio's Programmable Messaging: one form POST per SMS, signed status callbacks.

Twilio has no batch API, so a batch of 500 is 500 requests. They go over one
client (kept-alive connections), at most `concurrency` in flight (`fanout`):
at ~100 ms a round trip, 500 messages take ~50 s one by
one and ~7 s eight at a time (README, "Routes"). The route's own rate limit
(`GATEWAY_RATE_LIMITS`) still decides how many parts per second go out.

A batch can fail half-way: once a request answers 5xx, 429 or times out, no
new request starts; the answers already in (accepted, or refused for good)
travel with the `GatewayUnavailable` / `GatewayThrottled` raised, so dispatch
records them and only the messages never answered are retried.

Twilio has no idempotency key on message creation: a request that timed out
after Twilio took it is indistinguishable from one it never got, and its retry
can send the SMS a second time. Connection errors (nothing sent) are safe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from accounts.digits import ascii_digits
from messaging.gateways.base import (
    OPTED_OUT,
    Callback,
    CallbackRequest,
    GatewayThrottled,
    GatewayUnavailable,
    InboundMessage,
    InvalidReport,
    OutgoingMessage,
    Report,
    RouteSpec,
    SubmitResult,
)
from messaging.gateways.fanout import retry_after, submit_each
from messaging.gateways.http import STORED, outbound_client, settings_url
from messaging.models import MessageStatus

SIGNATURE_HEADER = "X-Twilio-Signature"
THROTTLED = 20429
# Words for Twilio's commonest message errors (its error dictionary), used when
# an answer or a callback brings only the code. Any other 4xx answer to one
# message is a refusal of that message too: the same request fails the same way.
REASONS = {
    21211: "Invalid 'To' number",
    21610: "The recipient unsubscribed (replied STOP)",
    21614: "'To' is not a mobile number",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered by the carrier",
    30008: "Unknown error",
}
STATUSES = {
    "queued": MessageStatus.SUBMITTED,
    "accepted": MessageStatus.SUBMITTED,
    "scheduled": MessageStatus.SUBMITTED,
    "sending": MessageStatus.SUBMITTED,
    "sent": MessageStatus.SUBMITTED,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


class TwilioSettings(BaseModel):
    """A Twilio route: the account, who sends, and how hard to push.

    Give `from` (a Twilio number, or an alphanumeric sender ID where the
    country allows it) or `messagingServiceSid`, not both. With
    `senderFromMessage` the campaign's own sender replaces `from`.
    """

    # `from` is a Python keyword: the field is `from_`, read and written as "from".
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, serialize_by_alias=True
    )

    accountSid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    authToken: str = Field(min_length=8, max_length=200)
    from_: str | None = Field(
        default=None, alias="from", min_length=1, max_length=20, pattern=r"^\+?[\w ]+$"
    )
    messagingServiceSid: str | None = Field(
        default=None, pattern=r"^MG[0-9a-fA-F]{32}$"
    )
    senderFromMessage: bool = False
    baseUrl: str = "https://api.twilio.com"
    concurrency: int = Field(default=8, ge=1, le=32)
    timeoutSeconds: float = Field(default=10.0, gt=0, le=60)

    _safe_url = settings_url("baseUrl")

    @model_validator(mode="after")
    def _one_sender(self) -> TwilioSettings:
        if bool(self.from_) == bool(self.messagingServiceSid):
            raise ValueError("give either from or messagingServiceSid (one of them)")
        return self


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1 of the URL and the sorted
    POST parameters, each name followed by its value."""
    data = url + "".join(name + value for name, value in sorted(params))
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as called, with and without its default port: Twilio signs the
    one it was configured with, proxies may add or drop `:443`."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is None:
        other = parts._replace(netloc=f"{host}:{default}")
    elif parts.port == default:
        other = parts._replace(netloc=host)
    else:
        return [url]
    return [url, urlunsplit(other)]


def _error(response: httpx.Response) -> tuple[int | None, str]:
    """Twilio's `code` and `message` from an error body (JSON), if any."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200]
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    return (code if isinstance(code, int) else None), str(body.get("message") or "")


class TwilioGateway:
    """A Twilio route (`kind: "twilio"`), SMS only."""

    kind: ClassVar[str] = "twilio"
    channels: ClassVar[tuple[str, ...]] = ("SMS",)
    secret_fields: ClassVar[frozenset[str]] = frozenset({"authToken"})
    Settings: ClassVar[type[TwilioSettings]] = TwilioSettings

    def __init__(self, spec: RouteSpec) -> None:
        self.key = spec.key
        self.callback_url = spec.callback_url
        # Stored settings were validated (URL included) when saved; every
        # request is checked again by the outbound client, DNS included.
        self.settings = TwilioSettings.model_validate(spec.settings, context=STORED)

    # -- submitting -------------------------------------------------------

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]:
        """One request per message, `concurrency` at a time, over one client."""
        s = self.settings
        with outbound_client(
            base_url=s.baseUrl,
            auth=(s.accountSid, s.authToken),
            timeout=httpx.Timeout(s.timeoutSeconds, connect=min(s.timeoutSeconds, 5)),
            limits=httpx.Limits(
                max_connections=s.concurrency, max_keepalive_connections=s.concurrency
            ),
        ) as client:
            return submit_each(
                messages,
                lambda message: [self._send(client, message)],
                concurrency=s.concurrency,
                name="Twilio",
            )

    def _form(self, message: OutgoingMessage) -> dict[str, str]:
        s = self.settings
        form = {"To": message.phone, "Body": message.text}
        if s.senderFromMessage and message.sender:
            form["From"] = message.sender
        elif s.from_:
            form["From"] = s.from_
        else:
            form["MessagingServiceSid"] = s.messagingServiceSid or ""
        if self.callback_url:
            form["StatusCallback"] = self.callback_url
        return form

    def _send(self, client: httpx.Client, message: OutgoingMessage) -> SubmitResult:
        """Twilio's answer to one message, or the route's failure raised."""
        path = f"/2010-04-01/Accounts/{self.settings.accountSid}/Messages.json"
        try:
            response = client.post(path, data=self._form(message))
        except httpx.TimeoutException as exc:
            raise GatewayUnavailable(f"Twilio timed out: {exc}") from exc
        except (httpx.TransportError, ValueError) as exc:  # ValueError: UnsafeURL
            raise GatewayUnavailable(f"Twilio unreachable: {exc}") from exc
        if response.is_success:
            try:
                sid = str(response.json().get("sid") or "")
            except (ValueError, AttributeError):
                sid = ""
            return SubmitResult(message.client_ref, accepted=True, provider_id=sid)
        code, text = _error(response)
        status = response.status_code
        if status == 429 or code == THROTTLED:
            raise GatewayThrottled(retry_after(response), f"Twilio {code}: {text}")
        if not 400 <= status < 500 or status in {401, 403, 404}:
            # Down, redirected elsewhere, or the route's account/credentials are
            # wrong: the route's fault, not the message's, so the messages wait
            # (and failover can move them).
            raise GatewayUnavailable(f"Twilio answered {status} ({code}): {text}")
        error_code = OPTED_OUT if code == 21610 else str(code or status)
        reason = text or REASONS.get(code or 0, f"refused ({status})")
        return SubmitResult(
            message.client_ref,
            accepted=False,
            permanent=True,
            error_code=error_code,
            error_reason=f"Twilio {code}: {reason}" if code else reason,
        )

    # -- callbacks --------------------------------------------------------

    def parse_callback(self, request: CallbackRequest) -> Callback:
        """A status callback or an incoming SMS, once its signature holds."""
        given = request.header(SIGNATURE_HEADER)
        params = (
            parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            if request.method.upper() == "POST"
            else []
        )
        token = self.settings.authToken
        if not given or not any(
            hmac.compare_digest(signature(token, url, params), given)
            for url in _url_variants(request.url)
        ):
            raise InvalidReport("bad X-Twilio-Signature")
        fields = dict(params) if params else dict(request.query)
        response = (200, "text/xml", EMPTY_TWIML)
        status = (fields.get("MessageStatus") or "").lower()
        sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
        ours = STATUSES.get(status)
        if ours is not None:
            code = fields.get("ErrorCode", "")
            reason = fields.get("ErrorMessage") or (
                f"Twilio {code}: {REASONS.get(int(code), '')}".rstrip(": ")
                if ascii_digits(code)
                else ""
            )
            final = ours != MessageStatus.SUBMITTED
            report = Report(
                status=ours,
                provider_id=sid,
                error_code=code[:40] if final else "",
                error_reason=reason[:300] if final else "",
            )
            return Callback(reports=[report], response=response)
        if status in {"", "received"} and "From" in fields and "Body" in fields:
            # An incoming SMS (its webhook has no MessageStatus, or "received").
            reply = InboundMessage(
                phone=fields["From"],
                text=fields["Body"],
                provider_id=sid[:100],
                to=fields.get("To", ""),
            )
            return Callback(inbound=[reply], response=response)
        if status:  # "receiving" and statuses Twilio may add: nothing for us
            return Callback(response=response)
        raise InvalidReport("neither a status callback nor an incoming message")
