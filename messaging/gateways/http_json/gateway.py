"""A generic JSON SMS provider, described by its route's settings, not by code.

Many local carriers speak "POST some JSON, get an id back, receive a JSON
callback later", each with its own field names. A route of kind `http-json`
says where our fields go in the request body (dotted paths), how to read the
provider's id, which answers mean throttled or refused, and how to read its
delivery reports (JMESPath expressions: `data.id`, `results[0].state`). The
settings are checked when the route is saved, with the field at fault named.

One request per message, or (`batch`) one request per chunk of `batchSize`
messages with the list at `batchPath`; either way several requests per batch
run `concurrency` at a time and a failure half-way keeps what was answered
(`fanout`). A whole chunk the provider refuses (4xx in `refuseStatuses`) is a
refusal of each of its messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any, ClassVar, Literal
from uuid import UUID

import httpx
import jmespath
import jmespath.exceptions
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from messaging.gateways.base import (
    Callback,
    CallbackRequest,
    GatewayThrottled,
    GatewayUnavailable,
    InvalidReport,
    OutgoingMessage,
    Report,
    RouteSpec,
    SubmitResult,
)
from messaging.gateways.fanout import retry_after, submit_each
from messaging.gateways.http import STORED, outbound_client, settings_url
from messaging.models import MessageStatus

# Our side of the body mapping: what a message can put in the provider's body.
OUR_FIELDS = ("to", "from", "text", "reference", "callbackUrl")
REPORTABLE = Literal[
    "SUBMITTED", "DELIVERED", "UNDELIVERED", "EXPIRED", "FAILED", "REJECTED"
]
_DOTTED = re.compile(r"^[A-Za-z_$@][\w$@-]*(\.[A-Za-z_$@][\w$@-]*)*$")


def _expression(value: str | None) -> str | None:
    """A JMESPath expression that compiles, for reading answers and reports."""
    if value is None:
        return None
    try:
        jmespath.compile(value)
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError(f"not a valid JMESPath expression: {value!r}") from exc
    return value


def _read(expression: str | None, document: Any) -> Any:
    return jmespath.search(expression, document) if expression else None


def _dotted(path: str) -> str:
    if not _DOTTED.match(path):
        raise ValueError(f"not a dotted path of field names: {path!r}")
    return path


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    """Set `value` at the dotted `path`, making the objects on the way."""
    *parents, last = path.split(".")
    for name in parents:
        target = target.setdefault(name, {})
    target[last] = value


def _no_prefixes(paths: list[str], what: str) -> None:
    """No path may be another's parent: `msg` and `msg.text` cannot both be set."""
    for path in paths:
        for other in paths:
            if other != path and other.startswith(path + "."):
                raise ValueError(f"{what}: {path!r} and {other!r} overlap")


class Match(BaseModel):
    """An answer (or answer item) whose field at `path` has one of `values`;
    with no `values`, any value but null, false, "" or 0."""

    model_config = ConfigDict(extra="forbid")

    path: str
    values: list[str | int | bool] = Field(default_factory=list)

    _path = field_validator("path")(lambda cls, v: _expression(v))

    def __call__(self, document: Any) -> bool:
        found = _read(self.path, document)
        if not self.values:
            return bool(found)
        return found is not None and str(found).casefold() in {
            str(v).casefold() for v in self.values
        }


class ReportMapping(BaseModel):
    """How to read the provider's delivery callbacks (a JSON body).

    `itemsPath` finds a list of reports in the body (absent: the body is one
    report); each is matched by the provider's id (`idPath`) or our reference
    (`referencePath`) and its `statusPath` value, looked up in `statuses`
    (case-insensitive), gives our status. Reports with a status missing from
    the table are ignored.
    """

    model_config = ConfigDict(extra="forbid")

    itemsPath: str | None = None
    idPath: str | None = "id"
    referencePath: str | None = None
    statusPath: str = "status"
    errorCodePath: str | None = None
    errorReasonPath: str | None = None
    statuses: dict[str, REPORTABLE] = Field(min_length=1)

    _paths = field_validator(
        "itemsPath",
        "idPath",
        "referencePath",
        "statusPath",
        "errorCodePath",
        "errorReasonPath",
    )(lambda cls, v: _expression(v))

    @model_validator(mode="after")
    def _matchable(self) -> ReportMapping:
        if not (self.idPath or self.referencePath):
            raise ValueError("give idPath or referencePath to match reports")
        return self


class HttpJsonSettings(BaseModel):
    """A generic JSON route. Only `url` and `reports` are required."""

    model_config = ConfigDict(extra="forbid")

    url: str
    method: Literal["POST", "PUT"] = "POST"
    authHeader: str = Field(default="Authorization", pattern=r"^[A-Za-z0-9-]+$")
    authValue: str | None = Field(default=None, max_length=2000)
    headers: dict[str, str] = Field(default_factory=dict)
    sender: str | None = Field(default=None, max_length=20)
    body: dict[str, str] = Field(
        default_factory=lambda: {
            "to": "to",
            "from": "from",
            "text": "text",
            "reference": "reference",
        }
    )
    constants: dict[str, Any] = Field(default_factory=dict)
    batch: bool = False
    batchPath: str = "messages"
    batchSize: int = Field(default=100, ge=1, le=1000)
    batchConstants: dict[str, Any] = Field(default_factory=dict)
    idPath: str = "id"
    answerItemsPath: str = "messages"
    throttleStatuses: list[int] = Field(default_factory=lambda: [429])
    throttleWhen: Match | None = None
    refuseStatuses: list[int] = Field(default_factory=lambda: [400, 422])
    refuseWhen: Match | None = None
    errorCodePath: str | None = None
    errorReasonPath: str | None = None
    reports: ReportMapping
    signatureHeader: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]+$")
    signingSecret: str | None = Field(default=None, min_length=8, max_length=500)
    signatureEncoding: Literal["hex", "base64"] = "hex"
    signaturePrefix: str = Field(default="", max_length=20)
    concurrency: int = Field(default=4, ge=1, le=32)
    timeoutSeconds: float = Field(default=10.0, gt=0, le=60)

    _safe_url = settings_url("url", base=False)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not re.fullmatch(r"[A-Za-z0-9-]+", name) or re.search(r"[\r\n]", text):
                raise ValueError(f"not a valid header: {name!r}")
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(OUR_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown field {unknown[0]!r}: use {', '.join(OUR_FIELDS)}"
            )
        if "to" not in value or "text" not in value:
            raise ValueError("map at least 'to' and 'text'")
        for path in value.values():
            _dotted(path)
        _no_prefixes(list(value.values()), "body")
        return value

    @field_validator("constants", "batchConstants")
    @classmethod
    def _constants(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path in value:
            _dotted(path)
        return value

    _batch_path = field_validator("batchPath")(lambda cls, v: _dotted(v))
    _expressions = field_validator(
        "idPath", "answerItemsPath", "errorCodePath", "errorReasonPath"
    )(lambda cls, v: _expression(v))

    @field_validator("throttleStatuses", "refuseStatuses")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        if any(not 400 <= code < 500 for code in value):
            raise ValueError("only 4xx statuses (5xx always means unavailable)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HttpJsonSettings:
        _no_prefixes([*self.body.values(), *self.constants], "constants")
        _no_prefixes([self.batchPath, *self.batchConstants], "batchConstants")
        if bool(self.signatureHeader) != bool(self.signingSecret):
            raise ValueError("signatureHeader and signingSecret go together")
        if set(self.throttleStatuses) & set(self.refuseStatuses):
            raise ValueError("a status cannot both throttle and refuse")
        return self


class HttpJsonGateway:
    """A route to any JSON-over-HTTP SMS provider (`kind: "http-json"`)."""

    kind: ClassVar[str] = "http-json"
    channels: ClassVar[tuple[str, ...]] = ("SMS",)
    secret_fields: ClassVar[frozenset[str]] = frozenset({"authValue", "signingSecret"})
    Settings: ClassVar[type[HttpJsonSettings]] = HttpJsonSettings

    def __init__(self, spec: RouteSpec) -> None:
        self.key = spec.key
        self.callback_url = spec.callback_url
        self.settings = HttpJsonSettings.model_validate(spec.settings, context=STORED)

    # -- submitting -------------------------------------------------------

    def submit(self, messages: list[OutgoingMessage]) -> list[SubmitResult]:
        """One request per message, or per chunk in batch mode, over one client."""
        s = self.settings
        headers = {"Accept": "application/json", **s.headers}
        if s.authValue:
            headers[s.authHeader] = s.authValue
        size = s.batchSize if s.batch else 1
        chunks = [messages[i : i + size] for i in range(0, len(messages), size)]
        with outbound_client(
            headers=headers,
            timeout=httpx.Timeout(s.timeoutSeconds, connect=min(s.timeoutSeconds, 5)),
            limits=httpx.Limits(
                max_connections=s.concurrency, max_keepalive_connections=s.concurrency
            ),
        ) as client:
            return submit_each(
                chunks,
                lambda chunk: self._send(client, chunk),
                concurrency=s.concurrency,
                name="HTTP JSON",
            )

    def _item(self, message: OutgoingMessage) -> dict[str, Any]:
        s = self.settings
        ours = {
            "to": message.phone,
            "from": s.sender or message.sender,
            "text": message.text,
            "reference": str(message.client_ref),
            "callbackUrl": self.callback_url,
        }
        item: dict[str, Any] = {}
        for path, value in s.constants.items():
            _put(item, path, value)
        for field, path in s.body.items():
            _put(item, path, ours[field])
        return item

    def _send(
        self, client: httpx.Client, chunk: list[OutgoingMessage]
    ) -> list[SubmitResult]:
        s = self.settings
        if s.batch:
            body: Any = {}
            for path, value in s.batchConstants.items():
                _put(body, path, value)
            _put(body, s.batchPath, [self._item(m) for m in chunk])
        else:
            body = self._item(chunk[0])
        try:
            response = client.request(s.method, s.url, json=body)
        except httpx.TimeoutException as exc:
            raise GatewayUnavailable(f"provider timed out: {exc}") from exc
        except (httpx.TransportError, ValueError) as exc:  # ValueError: UnsafeURL
            raise GatewayUnavailable(f"provider unreachable: {exc}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        status = response.status_code
        if status in s.throttleStatuses or (s.throttleWhen and s.throttleWhen(answer)):
            raise GatewayThrottled(
                retry_after(response), f"provider throttled ({status})"
            )
        if status >= 500:
            raise GatewayUnavailable(f"provider answered {status}")
        if status in s.refuseStatuses:
            return [self._refused(m, answer, status) for m in chunk]
        if not response.is_success:
            # 401, 403, 404...: the route is misconfigured, not the messages.
            raise GatewayUnavailable(f"provider answered {status}")
        if not s.batch:
            return [self._accepted(chunk[0], answer, status)]
        items = _read(s.answerItemsPath, answer)
        items = items if isinstance(items, list) else []
        return [
            self._accepted(message, items[i] if i < len(items) else None, status)
            for i, message in enumerate(chunk)
        ]

    def _accepted(
        self, message: OutgoingMessage, answer: Any, status: int
    ) -> SubmitResult:
        """The provider took the request; this message's own answer may refuse it.

        A message the answer says nothing about (no id, no item) counts as
        accepted: the provider took the request, and resending would risk a
        duplicate; its reports can still match on our reference.
        """
        if self.settings.refuseWhen and self.settings.refuseWhen(answer):
            return self._refused(message, answer, status)
        provider_id = _read(self.settings.idPath, answer)
        return SubmitResult(
            message.client_ref,
            accepted=True,
            provider_id="" if provider_id is None else str(provider_id)[:100],
        )

    def _refused(
        self, message: OutgoingMessage, answer: Any, status: int
    ) -> SubmitResult:
        code = _read(self.settings.errorCodePath, answer)
        reason = _read(self.settings.errorReasonPath, answer)
        return SubmitResult(
            message.client_ref,
            accepted=False,
            permanent=True,
            error_code=str(code if code is not None else status)[:40],
            error_reason=str(reason or f"refused by the provider ({status})")[:300],
        )

    # -- callbacks --------------------------------------------------------

    def parse_callback(self, request: CallbackRequest) -> Callback:
        """Delivery reports from the provider's JSON body, signature checked."""
        self._verify(request)
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise InvalidReport("the body is not JSON") from exc
        mapping = self.settings.reports
        items = _read(mapping.itemsPath, body) if mapping.itemsPath else [body]
        if not isinstance(items, list):
            raise InvalidReport(f"no list of reports at {mapping.itemsPath}")
        table = {k.casefold(): v for k, v in mapping.statuses.items()}
        reports = []
        for item in items:
            theirs = _read(mapping.statusPath, item)
            ours = table.get(str(theirs).casefold()) if theirs is not None else None
            if ours is None:
                continue
            provider_id = _read(mapping.idPath, item)
            reference = _read(mapping.referencePath, item)
            final = ours != MessageStatus.SUBMITTED
            code = _read(mapping.errorCodePath, item) if final else None
            reason = _read(mapping.errorReasonPath, item) if final else None
            reports.append(
                Report(
                    status=ours,
                    provider_id="" if provider_id is None else str(provider_id)[:100],
                    client_ref=_uuid(reference),
                    error_code="" if code is None else str(code)[:40],
                    error_reason="" if reason is None else str(reason)[:300],
                )
            )
            if not (reports[-1].provider_id or reports[-1].client_ref):
                raise InvalidReport("a report with neither id nor reference")
        return Callback(reports=reports)

    def _verify(self, request: CallbackRequest) -> None:
        s = self.settings
        if not (s.signatureHeader and s.signingSecret):
            return
        given = request.header(s.signatureHeader)
        mac = hmac.new(s.signingSecret.encode(), request.body, hashlib.sha256).digest()
        expected = s.signaturePrefix + (
            mac.hex()
            if s.signatureEncoding == "hex"
            else base64.b64encode(mac).decode()
        )
        given = given.strip()
        if s.signatureEncoding == "hex":  # hex digits come in either case
            given, expected = given.lower(), expected.lower()
        if not given or not hmac.compare_digest(given, expected):
            raise InvalidReport(f"bad {s.signatureHeader}")


def _uuid(value: Any) -> UUID | None:
    """Our reference from a report, if it is one (a UUID); else None."""
    if value in (None, ""):
        return None
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise InvalidReport(f"not one of our references: {value!r}") from exc
