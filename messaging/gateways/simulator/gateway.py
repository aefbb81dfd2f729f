"""The simulator route: accepts messages like a provider, reports on them later.

It rejects numbers phonenumbers calls invalid, answers NOT_CAPABLE for the share
`SIMULATOR_NOT_CAPABLE_RATE` of numbers on RCS and WhatsApp (drawn per number, so
a number is or is not a "WhatsApp user" in every campaign), records each client
reference it accepts once (a resubmission gets the first answer back, as from an idempotent
provider), and decides each outcome and report delay from a hash of the seed and
the reference, so a run is reproducible. Its reports travel the same path as a
real provider's: a signed JSON body, parsed by `parse_reports` (see `reporting`).
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

from contacts.phones import PhoneNormalizer
from messaging.gateways.base import (
    NOT_CAPABLE,
    Callback,
    CallbackRequest,
    InvalidReport,
    OutgoingMessage,
    Report,
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


@dataclass(frozen=True)
class Behaviour:
    """The outcome mix and report delays (settings `SIMULATOR_*`)."""

    delivered: float
    undelivered: float
    expired: float
    reject: float
    min_delay: float
    max_delay: float
    seed: str
    # Share of numbers that cannot receive RCS/WhatsApp (SMS always can).
    not_capable: float = 0.0

    @classmethod
    def from_settings(cls) -> Behaviour:
        return cls(
            not_capable=settings.SIMULATOR_NOT_CAPABLE_RATE,
            delivered=settings.SIMULATOR_DELIVERED_RATE,
            undelivered=settings.SIMULATOR_UNDELIVERED_RATE,
            expired=settings.SIMULATOR_EXPIRED_RATE,
            reject=settings.SIMULATOR_REJECT_RATE,
            min_delay=settings.SIMULATOR_MIN_DELAY,
            max_delay=settings.SIMULATOR_MAX_DELAY,
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


def sign(body: bytes, *, timestamp: int | None = None) -> str:
    """`t=<unix time>,v1=<HMAC-SHA256(secret, "<t>.<body>")>` for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(
        settings.SIMULATOR_SECRET.encode(),
        f"{timestamp}.".encode() + body,
        hashlib.sha256,
    ).hexdigest()
    return f"t={timestamp},v1={mac}"


class SimulatorGateway:
    kind: ClassVar[str] = "simulator"
    channels: ClassVar[tuple[str, ...]] = ("SMS", "RCS", "WHATSAPP")
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    key = "simulator"

    def __init__(self) -> None:
        self.behaviour = Behaviour.from_settings()
        self.normalizer = PhoneNormalizer("IT")

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]:
        now = timezone.now()
        results, accepted = [], []
        for message in messages:
            outcome, delay = self.behaviour.outcome(message.client_ref)
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
            if not self.behaviour.is_capable(message.phone, message.channel):
                results.append(
                    SubmitResult(
                        message.client_ref,
                        accepted=False,
                        error_code=NOT_CAPABLE,
                        error_reason=f"Not reachable on {message.channel}",
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
                SimulatorSubmission(
                    client_ref=message.client_ref,
                    provider_id=provider_id,
                    phone=message.phone,
                    campaign_id=message.campaign_id,
                    parts=message.parts,
                    outcome=outcome,
                    report_due_at=now + timedelta(seconds=delay),
                )
            )
            results.append(
                SubmitResult(message.client_ref, accepted=True, provider_id=provider_id)
            )
        SimulatorSubmission.objects.bulk_create(accepted, ignore_conflicts=True)
        return results

    def parse_callback(self, request: CallbackRequest) -> Callback:
        return Callback(
            reports=self.parse_reports(body=request.body, headers=request.headers)
        )

    def parse_reports(self, *, body: bytes, headers: Mapping[str, str]) -> list[Report]:
        """Reports from a body signed by `sign`; InvalidReport if forged or stale."""
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
        if not hmac.compare_digest(sign(body, timestamp=timestamp), signature):
            raise InvalidReport("bad signature")
        try:
            items = json.loads(body)["reports"]
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
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidReport("malformed report") from exc
