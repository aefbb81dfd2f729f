"""The one small interface every route implements: submit a batch, parse reports.

A gateway is handed messages that already carry our client reference; it answers
one `SubmitResult` per message, in order. A whole-batch failure that may pass
(timeout, 5xx, throttling) raises `GatewayUnavailable`; the batch is then handed
back and retried with the same references. A refusal of one message that will
never pass (invalid number, unsubscribed) is a result with `permanent=True`.
A route that sends one request per message may fail half-way through a batch:
it then raises with `results` holding what it already got an answer for, so
those are recorded (never resubmitted) and only the rest is handed back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol
from uuid import UUID

# `SubmitResult.error_code` meaning "this number cannot receive this channel"
# (not a WhatsApp user, not RCS-capable): the recipient falls back to SMS.
NOT_CAPABLE = "NOT_CAPABLE"
# `SubmitResult.error_code` meaning "the recipient unsubscribed at the provider"
# (Twilio 21610): the number joins the account's opt-outs.
OPTED_OUT = "OPTED_OUT"


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    client_ref: UUID
    phone: str
    sender: str
    text: str
    parts: int
    encoding: str
    campaign_id: int | None
    # Channel-specific content: a WhatsApp template (`template`: name, language,
    # parameters), RCS suggestions. Empty for SMS.
    payload: Mapping[str, Any] = field(default_factory=dict)
    # SMS, RCS or WHATSAPP: a route that carries several (the simulator) needs it.
    # Empty: the route's own channel.
    channel: str = ""


@dataclass(frozen=True)
class SubmitResult:
    """The route's answer for one message.

    Accepted; or refused for good: REJECTED when the number or text is at fault
    (`permanent=True`), FAILED when the route gave up on it (`permanent=False`).
    A route that breaks half-way through a batch raises `GatewayUnavailable`
    carrying the answers it already has, so only the rest are retried.
    """

    client_ref: UUID
    accepted: bool
    provider_id: str = ""
    error_code: str = ""
    error_reason: str = ""
    permanent: bool = True


@dataclass(frozen=True)
class Report:
    """A delivery report in our terms (see `messaging.models.MessageStatus`)."""

    status: str
    provider_id: str = ""
    client_ref: UUID | None = None
    error_code: str = ""
    error_reason: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """A message a recipient sent us (a reply, a STOP)."""

    phone: str  # E.164, the sender of the reply
    text: str
    provider_id: str = ""
    to: str = ""  # our number or sender id it was sent to


@dataclass(frozen=True)
class RouteSpec:
    """What an adapter is built from: a route's decrypted settings.

    `key` is what messages, reports and rate limits name the route by;
    `callback_url` is where the provider must send reports and replies
    (built from `MEGAFONO_PUBLIC_URL`).
    """

    key: str
    kind: str
    channel: str
    settings: Mapping[str, Any]
    callback_url: str = ""


@dataclass(frozen=True)
class CallbackRequest:
    """A provider's HTTP call to us, as the adapter needs it to verify and read it."""

    method: str
    url: str  # the full URL as the provider called it (signatures cover it)
    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str:
        """The header `name`, whatever its case as sent or as stored; "" if absent."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")


@dataclass(frozen=True)
class Callback:
    """What a provider's call said; `response` overrides our default 200 answer.

    `response` is (status, content type, body), e.g. WhatsApp's
    `hub.challenge` handshake or the empty TwiML Twilio expects.
    """

    reports: list[Report] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)
    response: tuple[int, str, bytes] | None = None


class GatewayUnavailable(Exception):
    """The route cannot take messages now; try the same batch again later.

    `results` are the answers the route got before it failed (accepted, or
    refused for good): they stand, and only the other messages are retried.
    """

    def __init__(self, *args: object, results: list[SubmitResult] | None = None):
        super().__init__(*args)
        self.results = list(results or [])


class GatewayThrottled(GatewayUnavailable):
    """The provider said "too many" (HTTP 429, ESME_RTHROTTLED): slow down.

    Not an error of the route: the batch is handed back and retried after
    `retry_after` seconds without spending a retry.
    """

    def __init__(
        self,
        retry_after: float = 1.0,
        reason: str = "",
        results: list[SubmitResult] | None = None,
    ) -> None:
        super().__init__(
            reason or f"throttled: retry in {retry_after:.1f} s", results=results
        )
        self.retry_after = retry_after


class InvalidReport(Exception):
    """A delivery report we cannot trust or read (bad signature, stale, malformed)."""


class MalformedReport(InvalidReport):
    """A callback whose signature holds but whose body cannot be read: the
    sender's mistake to fix (a 400), not an impostor (401/403)."""


class Gateway(Protocol):
    """A route's adapter. Built per use from a `RouteSpec`: `Kind(spec)`.

    `kind` names the adapter ("simulator", "twilio", ...); `channels` lists the
    channels it can carry; `secret_fields` names the settings that are written,
    encrypted and never shown back; `Settings` is a pydantic model that
    validates a route's settings (camelCase keys, as the API takes them).
    """

    kind: ClassVar[str]
    channels: ClassVar[tuple[str, ...]]
    secret_fields: ClassVar[frozenset[str]]
    key: str

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]: ...

    def parse_callback(self, request: CallbackRequest) -> Callback:
        """Verify and read a provider's call; `InvalidReport` if it is not genuine."""
        ...
