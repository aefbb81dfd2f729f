"""The SMPP route's adapter class: its settings, and why it has no `submit` path.

smpplib is synchronous and not thread-safe, and an SMPP bind is a session (a
window of sequence numbers, receipts arriving on the same socket), so the route
is sent through by one long-lived process per bind (`manage.py smpp_bind`),
never by Celery batch tasks. `long_lived = True` is what tells the campaign
dispatch to leave its messages alone.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from messaging.gateways.base import (
    Callback,
    CallbackRequest,
    GatewayUnavailable,
    InvalidReport,
    OutgoingMessage,
    RouteSpec,
    SubmitResult,
)


class SmppSettings(BaseModel):
    """A bind's settings, camelCase as the API takes them; `password` is secret."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=255)
    port: int = Field(2775, ge=1, le=65535)
    systemId: str = Field(min_length=1, max_length=15)
    password: str = Field("", max_length=8)
    systemType: str = Field("", max_length=12)
    # None: chosen per message, alphanumeric sender 5/0, a number 1/1.
    sourceTon: int | None = Field(None, ge=0, le=6)
    sourceNpi: int | None = Field(None, ge=0, le=18)
    destTon: int = Field(1, ge=0, le=6)
    destNpi: int = Field(1, ge=0, le=18)
    window: int = Field(10, ge=1, le=1000)  # submit_sm awaiting their resp
    throughput: float = Field(0, ge=0)  # submit_sm per second; 0: no limit
    enquireLinkSeconds: float = Field(30, gt=0)
    responseTimeoutSeconds: float = Field(30, gt=0)
    reconnectMinSeconds: float = Field(1, gt=0)
    reconnectMaxSeconds: float = Field(60, gt=0)
    throttleBackoffSeconds: float = Field(1, gt=0)
    # How the SMSC writes its message ids: in submit_sm_resp (and the
    # receipted_message_id TLV), and in the receipt text's "id:" field.
    submitIdFormat: Literal["text", "hex", "decimal"] = "text"
    receiptIdFormat: Literal["text", "hex", "decimal"] = "text"


class SmppGateway:
    kind: ClassVar[str] = "smpp"
    channels: ClassVar[tuple[str, ...]] = ("SMS",)
    secret_fields: ClassVar[frozenset[str]] = frozenset({"password"})
    long_lived: ClassVar[bool] = True  # sent by its bind process, not by Celery
    Settings = SmppSettings

    def __init__(self, spec: RouteSpec) -> None:
        self.key = spec.key
        self.settings = SmppSettings.model_validate(dict(spec.settings))

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]:
        """Never through here: batch dispatch skips long-lived routes."""
        raise GatewayUnavailable("an SMPP route is sent by its smpp_bind process")

    def parse_callback(self, request: CallbackRequest) -> Callback:
        """Receipts arrive on the bind as deliver_sm, not over HTTP."""
        raise InvalidReport("an SMPP route takes no HTTP callbacks")
