"""The `google-rbm` route: Google's RCS Business Messaging API.

Each message is `POST /v1/phones/{E.164}/agentMessages?messageId=...&agentId=...`
with our client reference as the `messageId`. Google keeps message ids unique
per agent and answers a reused one with 409 ALREADY_EXISTS, which therefore
means "you sent this already": accepted. That makes a whole batch safe to hand
back on an outage, throttling or a timeout, and this adapter does exactly that
(`GatewayUnavailable` / `GatewayThrottled`); the retry sends every message again
and the ones Google had taken are answered 409.

A 404 from the send (or from the optional capability check, `checkCapability`)
means the phone cannot receive RCS: `NOT_CAPABLE`, so SMS fallback may act.

Authentication: production mints a short-lived OAuth token from the agent's
service-account key (scope `https://www.googleapis.com/auth/rcsbusinessmessaging`,
e.g. with google-auth); this adapter takes that bearer token as the `token`
setting, refreshed outside Megafono.

Events arrive either as a Pub/Sub push (`{"message": {"data": <base64 JSON>}}`)
or as the JSON itself (webhook), signed with `X-Goog-Signature`: base64
HMAC-SHA512, keyed with the webhook's client token, of the event JSON (the
decoded `data` of a push). The webhook set-up call (`clientToken` and `secret`)
is answered by echoing the secret, as Google's console expects.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote
from uuid import UUID, uuid4

import httpx
from pydantic import BaseModel, ConfigDict, Field

from messaging.gateways.base import (
    NOT_CAPABLE,
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
from messaging.gateways.http import outbound_client, settings_url
from messaging.models import MessageStatus

SIGNATURE_HEADER = "X-Goog-Signature"
_EVENTS = {
    "DELIVERED": MessageStatus.DELIVERED,
    # READ implies delivered; DELIVERED may arrive later or not at all.
    "READ": MessageStatus.DELIVERED,
}


class GoogleRbmSettings(BaseModel):
    """A Google RBM route: the agent, a bearer token, the webhook's client token.

    `token` (an OAuth access token for the agent's service account) and
    `clientToken` (set in the webhook configuration; signs events) are secrets.
    """

    model_config = ConfigDict(extra="forbid")

    baseUrl: str = "https://rcsbusinessmessaging.googleapis.com"
    agentId: str
    token: str
    clientToken: str = ""
    checkCapability: bool = False
    timeoutSeconds: float = Field(default=10.0, gt=0, le=60)

    _safe_url = settings_url("baseUrl")


def google_error(response: httpx.Response) -> tuple[str, str]:
    """(status, message) from Google's error body; the HTTP reason if none."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    status = str(error.get("status") or response.status_code)
    return status[:40], str(error.get("message") or response.reason_phrase)[:300]


def agent_message(message: OutgoingMessage) -> dict[str, Any]:
    """The AgentMessage body: the text and, when the payload has them, suggestions
    (Google's `suggestions[]` objects: replies, actions)."""
    content: dict[str, Any] = {"text": message.text}
    if suggestions := message.payload.get("suggestions"):
        content["suggestions"] = list(suggestions)
    return {"contentMessage": content}


class GoogleRbmGateway:
    """Google's RBM API as a route kind."""

    kind: ClassVar[str] = "google-rbm"
    channels: ClassVar[tuple[str, ...]] = ("RCS",)
    secret_fields: ClassVar[frozenset[str]] = frozenset({"token", "clientToken"})
    Settings: ClassVar[type[GoogleRbmSettings]] = GoogleRbmSettings

    def __init__(self, spec: RouteSpec) -> None:
        self.key = spec.key
        self.settings = GoogleRbmSettings(**spec.settings)

    def client(self) -> httpx.Client:
        return outbound_client(
            headers={"Authorization": f"Bearer {self.settings.token}"},
            timeout=httpx.Timeout(self.settings.timeoutSeconds, connect=5.0),
        )

    def phone_url(self, phone: str) -> str:
        return f"{self.settings.baseUrl}/v1/phones/{quote(phone, safe='+')}"

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]:
        """Send each message; any outage hands the whole batch back (see module)."""
        with self.client() as client:
            return [self._send(client, message) for message in messages]

    def _call(self, client: httpx.Client, method: str, url: str, **kwargs: Any):
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise GatewayUnavailable(f"Google RBM unreachable: {exc}") from exc
        if response.status_code == 429:
            status, reason = google_error(response)
            retry_after = float(response.headers.get("Retry-After") or 1.0)
            raise GatewayThrottled(retry_after, reason=f"RBM {status}: {reason}")
        if response.status_code >= 500 or response.status_code == 401:
            status, reason = google_error(response)
            raise GatewayUnavailable(f"Google RBM {response.status_code}: {reason}")
        return response

    def _not_capable(self, message: OutgoingMessage, reason: str) -> SubmitResult:
        return SubmitResult(
            message.client_ref,
            accepted=False,
            error_code=NOT_CAPABLE,
            error_reason=reason or "The phone cannot receive RCS",
        )

    def _send(self, client: httpx.Client, message: OutgoingMessage) -> SubmitResult:
        agent = {"agentId": self.settings.agentId}
        url = self.phone_url(message.phone)
        if self.settings.checkCapability:
            response = self._call(
                client,
                "GET",
                f"{url}/capabilities",
                params={**agent, "requestId": str(uuid4())},
            )
            if response.status_code == 404:
                return self._not_capable(message, google_error(response)[1])
        response = self._call(
            client,
            "POST",
            f"{url}/agentMessages",
            params={"messageId": str(message.client_ref), **agent},
            json=agent_message(message),
        )
        if response.is_success or response.status_code == 409:
            # 409 ALREADY_EXISTS: this messageId (our reference) was taken before.
            return SubmitResult(
                message.client_ref, accepted=True, provider_id=str(message.client_ref)
            )
        status, reason = google_error(response)
        if response.status_code == 404:
            return self._not_capable(message, reason)
        return SubmitResult(
            message.client_ref, accepted=False, error_code=status, error_reason=reason
        )

    def parse_callback(self, request: CallbackRequest) -> Callback:
        """A signed event or user message, or the webhook set-up call."""
        try:
            outer = json.loads(request.body)
        except ValueError as exc:
            raise InvalidReport("malformed RBM event") from exc
        if not isinstance(outer, dict):
            raise InvalidReport("malformed RBM event")
        if "clientToken" in outer and "secret" in outer:
            return self._setup(outer)
        pushed = outer.get("message")
        if isinstance(pushed, dict) and "data" in pushed:
            try:
                signed = base64.b64decode(pushed["data"], validate=True)
                event = json.loads(signed)
            except (binascii.Error, ValueError, TypeError) as exc:
                raise InvalidReport("malformed Pub/Sub message") from exc
        else:
            signed, event = request.body, outer
        self._verify(signed, request.header(SIGNATURE_HEADER))
        return _read(event)

    def _setup(self, body: Mapping[str, Any]) -> Callback:
        expected = self.settings.clientToken
        given = str(body.get("clientToken") or "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise InvalidReport("wrong clientToken")
        answer = json.dumps({"secret": str(body["secret"])}).encode()
        return Callback(response=(200, "application/json", answer))

    def _verify(self, signed: bytes, signature: str) -> None:
        key = self.settings.clientToken
        if not key:
            raise InvalidReport("the route has no clientToken to check signatures")
        mac = hmac.new(key.encode(), signed, hashlib.sha512).digest()
        if not hmac.compare_digest(signature.encode(), base64.b64encode(mac)):
            raise InvalidReport("bad X-Goog-Signature")


def _read(event: Mapping[str, Any]) -> Callback:
    """An event (DELIVERED, READ) or a user message in our terms."""
    sender = str(event.get("senderPhoneNumber") or "")
    message_id = str(event.get("messageId") or "")
    if status := _EVENTS.get(str(event.get("eventType") or "")):
        try:
            ref = UUID(message_id)
        except ValueError:
            return Callback()  # a message not sent by us (another integration)
        return Callback(reports=[Report(status=status, client_ref=ref)])
    text = event.get("text") or (event.get("suggestionResponse") or {}).get("text")
    if text and sender:
        reply = InboundMessage(phone=sender, text=str(text), provider_id=message_id)
        return Callback(inbound=[reply])
    return Callback()  # IS_TYPING and other events we do not track
