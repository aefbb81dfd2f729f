"""The one small interface every route implements: submit a batch, parse reports.

A gateway is handed messages that already carry our client reference; it answers
one `SubmitResult` per message, in order. A whole-batch failure that may pass
(timeout, 5xx, throttling) raises `GatewayUnavailable`; the batch is then handed
back and retried with the same references. A refusal of one message that will
never pass (invalid number, unsubscribed) is a result with `permanent=True`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


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


@dataclass(frozen=True)
class SubmitResult:
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


class GatewayUnavailable(Exception):
    """The route cannot take messages now; try the same batch again later."""


class InvalidReport(Exception):
    """A delivery report we cannot trust or read (bad signature, stale, malformed)."""


class Gateway(Protocol):
    key: str

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]: ...

    def parse_reports(
        self, *, body: bytes, headers: dict[str, str]
    ) -> list[Report]: ...
