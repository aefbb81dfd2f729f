"""The simulator route: accepts messages like a provider, reports on them later.

It answers NOT_CAPABLE for the share `notCapableRate` of numbers on RCS and
WhatsApp messages (drawn per number and channel, so a number is or is not a
"WhatsApp user" in every campaign; SMS always goes), rejects numbers phonenumbers
calls invalid, records each client reference it accepts once (a resubmission gets
the first answer back, as from an idempotent provider), and decides each outcome
and report delay from a hash of the seed and the reference, so a run is
reproducible. The mix is the route's own settings
(`SimulatorSettings`); the built-in `simulator` route takes `SIMULATOR_*`. Its
reports travel the same path as a real provider's: a signed JSON body, posted
to the route's callback and read by `parse_callback` (see `reporting`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar
from uuid import UUID

from django.conf import settings
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contacts.phones import PhoneNormalizer
from messaging.bulk import rows_insert
from messaging.gateways.base import (
    NOT_CAPABLE,
    Callback,
    CallbackRequest,
    GatewayUnavailable,
    InboundMessage,
    InvalidReport,
    MalformedReport,
    OutgoingMessage,
    Report,
    RouteSpec,
    SubmitResult,
)
from messaging.models import MessageStatus, SimulatorSubmission

SIGNATURE_HEADER = "X-Simulator-Signature"
MAX_REPORT_AGE = 300  # seconds: an older signed body is a replay
_REPORTED = {
    "DELIVERED": MessageStatus.DELIVERED,
    "UNDELIVERED": MessageStatus.UNDELIVERED,
    "EXPIRED": MessageStatus.EXPIRED,
    "SENT": MessageStatus.SUBMITTED,
}


def _rate(setting: str):
    """A default read from a `SIMULATOR_*` setting when the model is built."""
    return Field(default_factory=lambda: getattr(settings, setting), ge=0, le=1)


class SimulatorSettings(BaseModel):
    """A simulator route's outcome mix; omitted values follow `SIMULATOR_*`.

    `notCapableRate` is the share of numbers (by number and channel, so a number
    is always answered alike) refused as `NOT_CAPABLE` on RCS and WhatsApp
    messages; SMS is always deliverable.
    `outage` is a fault-injection knob: every submission raises
    `GatewayUnavailable`, as a provider that is down would (failover tests).
    `signingSecret` (write-only) signs this route's reports instead of
    `SIMULATOR_SECRET`.
    """

    model_config = ConfigDict(extra="forbid")

    deliveredRate: float = _rate("SIMULATOR_DELIVERED_RATE")
    undeliveredRate: float = _rate("SIMULATOR_UNDELIVERED_RATE")
    expiredRate: float = _rate("SIMULATOR_EXPIRED_RATE")
    rejectRate: float = _rate("SIMULATOR_REJECT_RATE")
    notCapableRate: float = _rate("SIMULATOR_NOT_CAPABLE_RATE")
    minDelaySeconds: float = Field(
        default_factory=lambda: settings.SIMULATOR_MIN_DELAY, ge=0, le=86400
    )
    maxDelaySeconds: float = Field(
        default_factory=lambda: settings.SIMULATOR_MAX_DELAY, ge=0, le=86400
    )
    outage: bool = False
    signingSecret: str | None = Field(default=None, min_length=8, max_length=200)

    @model_validator(mode="after")
    def _delays_ordered(self) -> SimulatorSettings:
        if self.maxDelaySeconds < self.minDelaySeconds:
            raise ValueError("maxDelaySeconds must not be below minDelaySeconds")
        return self


@dataclass(frozen=True)
class Behaviour:
    """The outcome mix and report delays of one simulator route."""

    delivered: float
    undelivered: float
    expired: float
    reject: float
    not_capable: float
    min_delay: float
    max_delay: float
    seed: str

    @classmethod
    def from_settings(cls, route: SimulatorSettings | None = None) -> Behaviour:
        route = route or SimulatorSettings()
        return cls(
            delivered=route.deliveredRate,
            undelivered=route.undeliveredRate,
            expired=route.expiredRate,
            reject=route.rejectRate,
            not_capable=route.notCapableRate,
            min_delay=route.minDelaySeconds,
            max_delay=route.maxDelaySeconds,
            seed=settings.SIMULATOR_SEED,
        )

    def draws(self, client_ref: UUID) -> tuple[float, float, float]:
        """Three reproducible numbers in [0, 1) for this reference."""
        digest = hashlib.sha256(f"{self.seed}:{client_ref}".encode()).digest()
        return tuple(  # type: ignore[return-value]
            int.from_bytes(digest[i : i + 8], "big") / 2**64 for i in (0, 8, 16)
        )

    def is_capable(self, phone: str, channel: str) -> bool:
        """Whether `phone` can receive `channel`: always for SMS; for RCS and
        WhatsApp a reproducible draw per number (and channel) and seed."""
        if channel == "SMS" or self.not_capable <= 0:
            return True
        digest = hashlib.sha256(f"{self.seed}:{channel}:{phone}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 >= self.not_capable

    def outcome(self, client_ref: UUID) -> tuple[str, float]:
        """(final status, report delay in seconds), or REJECTED at submission."""
        reject, pick, delay = self.draws(client_ref)
        if reject < self.reject:
            return MessageStatus.REJECTED, 0.0
        total = self.delivered + self.undelivered + self.expired or 1.0
        pick *= total
        if pick < self.delivered:
            status = MessageStatus.DELIVERED
        elif pick < self.delivered + self.undelivered:
            status = MessageStatus.UNDELIVERED
        else:
            status = MessageStatus.EXPIRED
        return status, self.min_delay + delay * (self.max_delay - self.min_delay)


def provider_id_for(client_ref: UUID) -> str:
    """The simulator's message id: derived from our reference, so a resubmission
    is answered with the same id without a lookup."""
    return "sim-" + client_ref.hex[:24]


def sign(body: bytes, *, timestamp: int | None = None, secret: str = "") -> str:
    """`t=<unix time>,v1=<HMAC-SHA256(secret, "<t>.<body>")>` for `body`.

    The secret is the route's `signingSecret`, else `SIMULATOR_SECRET`.
    """
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(
        (secret or settings.SIMULATOR_SECRET).encode(),
        f"{timestamp}.".encode() + body,
        hashlib.sha256,
    ).hexdigest()
    return f"t={timestamp},v1={mac}"


_SUBMISSION_COLUMNS = (
    "gateway",
    "client_ref",
    "provider_id",
    "phone",
    "campaign_id",
    "parts",
    "outcome",
    "report_due_at",
    "submitted_at",
)
BUILTIN_KEY = "simulator"


class SimulatorGateway:
    """The simulator as a route kind; without a spec, the built-in `simulator` route."""

    kind: ClassVar[str] = "simulator"
    channels: ClassVar[tuple[str, ...]] = ("SMS", "RCS", "WHATSAPP")
    secret_fields: ClassVar[frozenset[str]] = frozenset({"signingSecret"})
    Settings: ClassVar[type[SimulatorSettings]] = SimulatorSettings
    key = BUILTIN_KEY

    def __init__(self, spec: RouteSpec | None = None) -> None:
        self.key = spec.key if spec else BUILTIN_KEY
        self.channel = spec.channel if spec else "SMS"
        self.settings = SimulatorSettings(**(spec.settings if spec else {}))
        self.behaviour = Behaviour.from_settings(self.settings)
        self.normalizer = PhoneNormalizer("IT")

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]:
        if self.settings.outage:
            raise GatewayUnavailable("simulated outage")
        now = timezone.now()
        results, accepted = [], []
        for message in messages:
            outcome, delay = self.behaviour.outcome(message.client_ref)
            channel = message.channel or self.channel
            if not self.behaviour.is_capable(message.phone, channel):
                results.append(
                    SubmitResult(
                        message.client_ref,
                        accepted=False,
                        error_code=NOT_CAPABLE,
                        error_reason=f"Not reachable on {channel}",
                    )
                )
                continue
            if not self.normalizer.normalize(message.phone).valid:
                results.append(
                    SubmitResult(
                        message.client_ref,
                        accepted=False,
                        error_code="INVALID_NUMBER",
                        error_reason="Not a valid phone number",
                    )
                )
                continue
            if outcome == MessageStatus.REJECTED:
                results.append(
                    SubmitResult(
                        message.client_ref,
                        accepted=False,
                        error_code="REJECTED",
                        error_reason="Rejected by the simulated route",
                    )
                )
                continue
            provider_id = provider_id_for(message.client_ref)
            accepted.append(
                (
                    self.key,
                    message.client_ref,
                    provider_id,
                    message.phone,
                    message.campaign_id,
                    message.parts,
                    outcome,
                    now + timedelta(seconds=delay),
                    now,
                )
            )
            results.append(
                SubmitResult(message.client_ref, accepted=True, provider_id=provider_id)
            )
        rows_insert(
            SimulatorSubmission, _SUBMISSION_COLUMNS, accepted, ignore_conflicts=True
        )
        return results

    def parse_callback(self, request: CallbackRequest) -> Callback:
        """Reports and replies from a body signed by `sign`.

        `{"reports": [...]}` as `simulator_reports_send` posts them, and
        `{"inbound": [{"from", "text", "messageId"?}]}` for a simulated reply.
        """
        items = self._verified(body=request.body, headers=request.headers)
        try:
            inbound = [
                InboundMessage(
                    phone=str(item["from"]),
                    text=str(item["text"]),
                    provider_id=str(item.get("messageId") or "")[:100],
                )
                for item in items.get("inbound", [])
            ]
        except (AttributeError, KeyError, TypeError) as exc:
            raise MalformedReport("malformed inbound message") from exc
        return Callback(
            reports=self._reports(items.get("reports", [])), inbound=inbound
        )

    def _verified(self, *, body: bytes, headers: Mapping[str, str]) -> dict:
        """The JSON body once its signature and age are checked."""
        signature = headers.get(SIGNATURE_HEADER, "")
        fields = dict(
            part.split("=", 1) for part in signature.split(",") if "=" in part
        )
        try:
            timestamp = int(fields.get("t", ""))
        except ValueError as exc:
            raise InvalidReport("missing signature timestamp") from exc
        if abs(time.time() - timestamp) > MAX_REPORT_AGE:
            raise InvalidReport("stale signature")
        expected = sign(
            body, timestamp=timestamp, secret=self.settings.signingSecret or ""
        )
        if not hmac.compare_digest(expected, signature):
            raise InvalidReport("bad signature")
        try:
            items = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise MalformedReport("malformed report") from exc
        if not isinstance(items, dict):
            raise MalformedReport("malformed report")
        return items

    def _reports(self, items: list) -> list[Report]:
        try:
            return [
                Report(
                    status=_REPORTED[item["status"]],
                    provider_id=str(item.get("messageId") or ""),
                    client_ref=UUID(item["reference"])
                    if item.get("reference")
                    else None,
                    error_code=str(item.get("errorCode") or "")[:40],
                    error_reason=str(item.get("errorReason") or "")[:300],
                )
                for item in items
            ]
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise MalformedReport("malformed report") from exc
