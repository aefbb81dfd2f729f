"""The transactional endpoint of the campaign guide: `/api/message-server/...`.

Mounted outside `/partner-gateway/v1/`, where the guide prints it. Its curl sends
JSON without a `Content-Type` (curl's `-d` then says form-urlencoded), so the body
is read as JSON whatever the header says.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.responses import Status

from accounts.api import Fail
from accounts.api_errors import errors_named_as_sent
from accounts.money import to_cents
from messaging import single

router = Router(tags=["Transactional send"])

NAMES = {"phone_number": ("phoneNumber",), "idempotency_key": ("Idempotency-Key",)}


class SmsSendIn(Schema):
    phoneNumber: str
    message: str
    sender: str | None = None


class SmsSendOut(Schema):
    id: int
    status: str
    parts: int
    cost: Decimal


class MessageOut(SmsSendOut):
    phoneNumber: str
    sender: str
    channel: str
    errorCode: str | None
    errorReason: str | None
    createdAt: datetime
    submittedAt: datetime | None
    finishedAt: datetime | None


@router.post(
    "/sms/send",
    response={201: SmsSendOut, 400: Fail, 401: Fail, 402: Fail, 409: Fail, 422: Fail},
)
def sms_send_api(request: HttpRequest, response: HttpResponse, payload: SmsSendIn):
    """Send one SMS now; 201 with its `id`, `status`, `parts` and `cost`.

    With an `Idempotency-Key` header (any string up to 255 characters, kept
    24 hours) a retry with the same body gets the first answer, with
    `Idempotent-Replayed: true`, and sends and charges nothing more; the same key
    with another body is refused (422).
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    with errors_named_as_sent(["phoneNumber", "message", "sender"], NAMES):
        answer, replayed = single.single_send(
            account=request.account,
            phone_number=payload.phoneNumber,
            text=payload.message,
            sender=payload.sender,
            idempotency_key=key,
            fingerprint=single.request_fingerprint(payload.model_dump()),
        )
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, answer)


@router.get("/messages/{pk}", response={200: MessageOut, 401: Fail, 404: Fail})
def message_detail_api(request: HttpRequest, pk: int):
    """A message's current status (a single send's, or any of the account's)."""
    message = single.single_get(account=request.account, pk=pk)
    return {
        "id": message.pk,
        "status": message.status,
        "parts": message.parts,
        "cost": to_cents(message.price),
        "phoneNumber": message.phone,
        "sender": message.sender,
        "channel": message.channel,
        "errorCode": message.error_code or None,
        "errorReason": message.error_reason or None,
        "createdAt": message.created_at,
        "submittedAt": message.submitted_at,
        "finishedAt": message.finished_at,
    }
