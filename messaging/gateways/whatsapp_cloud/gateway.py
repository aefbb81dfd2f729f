"""The `whatsapp-cloud` route: Meta's WhatsApp Cloud API.

A campaign message is a template message, `POST /{version}/{phone-number-id}/messages`,
one request per message (the API has no batch call and no idempotency key). So a
batch that breaks half-way must not be handed back whole: the messages Meta took
stay accepted, and only the ones not yet tried go back to the queue: the
`GatewayUnavailable` / `GatewayThrottled` raised carries the answers already
received (`results`), which dispatch records before handing back the rest; it
also slows the lane.

Errors are read from Meta's error object (`{"error": {"code": 131026, ...}}`):
131026 means the number cannot receive WhatsApp (`NOT_CAPABLE`: SMS fallback may
act), throughput codes slow down, template problems are permanent with Meta's
reason, and an expired token or a Meta outage keeps the messages queued.

Webhooks: a GET with `hub.mode=subscribe` is the verification handshake (echo
`hub.challenge` when `hub.verify_token` matches); a POST is signed with
`X-Hub-Signature-256: sha256=<HMAC-SHA256(app secret, raw body)>` and carries
`statuses` (sent, delivered, read, failed) and `messages` (replies).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, ClassVar

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

SIGNATURE_HEADER = "X-Hub-Signature-256"
NOT_A_WHATSAPP_USER = 131026
# Meta's throughput answers: account/app (4, 80007), Cloud API (130429) and
# pair rate limits (131056: too many messages to the same number).
THROTTLE_CODES = frozenset({4, 80007, 130429, 131056})
# Not the message's fault: Meta is unwell or the route's token is wrong. The
# messages stay queued (and failover may move them) instead of failing.
ROUTE_CODES = frozenset({1, 2, 10, 190, 200, 131000, 131016})
# Meta's pair limit allows one message every 6 s to the same number.
_PAIR_WAIT = 6.0
_STATUSES = {
    "sent": MessageStatus.SUBMITTED,
    "delivered": MessageStatus.DELIVERED,
    # "read" implies delivered, and "delivered" may never arrive (Meta sends
    # statuses out of order and may skip one): read counts as DELIVERED.
    "read": MessageStatus.DELIVERED,
    "failed": MessageStatus.FAILED,
}


class WhatsAppCloudSettings(BaseModel):
    """A WhatsApp Cloud route: which number sends, and the app's keys.

    `accessToken` (a system user token), `appSecret` (signs webhooks) and
    `verifyToken` (our word in the subscription handshake) are secrets.
    `wabaId` is needed only to sync templates; `timeoutSeconds` bounds each call
    (a timeout keeps the message queued for a retry).
    """

    model_config = ConfigDict(extra="forbid")

    baseUrl: str = "https://graph.facebook.com"
    version: str = "v21.0"
    phoneNumberId: str
    wabaId: str = ""
    accessToken: str
    appSecret: str = ""
    verifyToken: str = ""
    timeoutSeconds: float = Field(default=10.0, gt=0, le=60)

    _safe_url = settings_url("baseUrl")


def meta_error(response: httpx.Response) -> tuple[int, str]:
    """(code, reason) from Meta's error object; (0, HTTP status text) if none."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code")
    details = (error.get("error_data") or {}).get("details") or ""
    reason = str(details or error.get("message") or response.reason_phrase)
    return (code if isinstance(code, int) else 0), reason[:300]


def template_message(message: OutgoingMessage) -> dict[str, Any]:
    """The body of Meta's send call for one of our messages.

    A message without a template (a WhatsApp campaign typed as free text) goes
    as a text message: Meta takes those only inside a 24-hour conversation and
    answers 131047 otherwise, which is then recorded as the reason.
    """
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.phone.lstrip("+"),
    }
    template = message.payload.get("template")
    if not template:
        return {**body, "type": "text", "text": {"body": message.text}}
    content: dict[str, Any] = {
        "name": template["name"],
        "language": {"code": template["language"]},
    }
    if parameters := template.get("parameters"):
        content["components"] = [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": p} for p in parameters],
            }
        ]
    return {**body, "type": "template", "template": content}


class WhatsAppCloudGateway:
    """Meta's WhatsApp Cloud API as a route kind."""

    kind: ClassVar[str] = "whatsapp-cloud"
    channels: ClassVar[tuple[str, ...]] = ("WHATSAPP",)
    secret_fields: ClassVar[frozenset[str]] = frozenset(
        {"accessToken", "appSecret", "verifyToken"}
    )
    Settings: ClassVar[type[WhatsAppCloudSettings]] = WhatsAppCloudSettings

    def __init__(self, spec: RouteSpec) -> None:
        self.key = spec.key
        self.settings = WhatsAppCloudSettings(**spec.settings)

    @property
    def api_url(self) -> str:
        return f"{self.settings.baseUrl}/{self.settings.version}"

    def client(self) -> httpx.Client:
        token = self.settings.accessToken
        return outbound_client(
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(self.settings.timeoutSeconds, connect=5.0),
        )

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]:
        """Send each message; see the module docstring for a batch that breaks."""
        url = f"{self.api_url}/{self.settings.phoneNumberId}/messages"
        results: list[SubmitResult] = []
        with self.client() as client:
            for message in messages:
                try:
                    results.append(self._send(client, url, message))
                except GatewayUnavailable as exc:
                    # What Meta took stands; the untried rest go back queued.
                    exc.results = results
                    raise
        return results

    def _send(
        self, client: httpx.Client, url: str, message: OutgoingMessage
    ) -> SubmitResult:
        try:
            response = client.post(url, json=template_message(message))
        except httpx.TransportError as exc:  # timeouts, refused connections
            raise GatewayUnavailable(f"WhatsApp Cloud unreachable: {exc}") from exc
        if response.is_success:
            try:
                provider_id = str(response.json()["messages"][0]["id"])
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise GatewayUnavailable("WhatsApp Cloud answered no id") from exc
            return SubmitResult(
                message.client_ref, accepted=True, provider_id=provider_id
            )
        code, reason = meta_error(response)
        if response.status_code == 429 or code in THROTTLE_CODES:
            retry_after = float(response.headers.get("Retry-After") or 0) or (
                _PAIR_WAIT if code == 131056 else 1.0
            )
            raise GatewayThrottled(retry_after, reason=f"WhatsApp {code}: {reason}")
        if response.status_code >= 500 or response.status_code == 401:
            raise GatewayUnavailable(f"WhatsApp Cloud {response.status_code}: {reason}")
        if code in ROUTE_CODES:
            raise GatewayUnavailable(f"WhatsApp {code}: {reason}")
        return SubmitResult(
            message.client_ref,
            accepted=False,
            error_code=NOT_CAPABLE if code == NOT_A_WHATSAPP_USER else str(code),
            error_reason=reason,
        )

    def parse_callback(self, request: CallbackRequest) -> Callback:
        """The subscription handshake (GET) or a signed notification (POST)."""
        if request.method.upper() == "GET":
            return self._handshake(request.query)
        self._verify(request)
        try:
            payload = json.loads(request.body)
            changes = [
                change.get("value") or {}
                for entry in payload.get("entry") or []
                for change in entry.get("changes") or []
            ]
        except (ValueError, AttributeError, TypeError) as exc:
            raise InvalidReport("malformed WhatsApp notification") from exc
        reports, inbound = [], []
        for value in changes:
            reports.extend(_report(status) for status in value.get("statuses") or [])
            to = (value.get("metadata") or {}).get("display_phone_number", "")
            for item in value.get("messages") or []:
                if (reply := _inbound(item, to=to)) is not None:
                    inbound.append(reply)
        return Callback(reports=[r for r in reports if r is not None], inbound=inbound)

    def _handshake(self, query: Mapping[str, str]) -> Callback:
        expected = self.settings.verifyToken
        given = query.get("hub.verify_token", "")
        if (
            query.get("hub.mode") != "subscribe"
            or not expected
            or not hmac.compare_digest(given.encode(), expected.encode())
        ):
            raise InvalidReport("wrong hub.verify_token")
        challenge = query.get("hub.challenge", "").encode()
        return Callback(response=(200, "text/plain", challenge))

    def _verify(self, request: CallbackRequest) -> None:
        secret = self.settings.appSecret
        if not secret:
            raise InvalidReport("the route has no appSecret to check signatures")
        mac = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        given = request.header(SIGNATURE_HEADER)
        if not hmac.compare_digest(given.encode(), f"sha256={mac}".encode()):
            raise InvalidReport("bad X-Hub-Signature-256")


def _report(status: Mapping[str, Any]) -> Report | None:
    """One `statuses[]` item in our terms; None for a status we do not track."""
    ours = _STATUSES.get(str(status.get("status")))
    if ours is None or not status.get("id"):
        return None
    code, reason = "", ""
    if ours == MessageStatus.FAILED:
        error = (status.get("errors") or [{}])[0]
        number = error.get("code")
        code = NOT_CAPABLE if number == NOT_A_WHATSAPP_USER else str(number or "")
        reason = str(
            (error.get("error_data") or {}).get("details")
            or error.get("title")
            or error.get("message")
            or ""
        )
    return Report(
        status=ours,
        provider_id=str(status["id"]),
        error_code=code[:40],
        error_reason=reason[:300],
    )


def _inbound(item: Mapping[str, Any], *, to: str) -> InboundMessage | None:
    """A reply: text messages and quick-reply buttons carry words we can read."""
    kind = item.get("type")
    if kind == "text":
        text = (item.get("text") or {}).get("body", "")
    elif kind == "button":
        text = (item.get("button") or {}).get("text", "")
    else:
        return None
    sender = str(item.get("from") or "")
    if not sender:
        return None
    return InboundMessage(
        phone=sender if sender.startswith("+") else f"+{sender}",
        text=str(text),
        provider_id=str(item.get("id") or ""),
        to=f"+{to}" if to and not to.startswith("+") else to,
    )
