"""Transactional sends: one message to one number, now, outside any campaign.

The request validates, prices (same segment counter and price list as
campaigns) and reserves the price in one transaction with the QUEUED message
and its `Idempotency-Key`, then answers at once; a Celery task queued on
commit submits it through the account's default SMS route and settles the
price (captured if the route took it, released if not). Answering before the
route is called keeps the answer fast whatever the provider's latency; beat
resubmits a message whose task was lost.

An `Idempotency-Key` is unique per account: a retry with the same key and the
same body gets the first answer without a second message or charge, the same
key with another body is refused (422), and a retry while the first request
is still running waits on the key's unique index, then gets its answer.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID, uuid4

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.credit import credit_capture, credit_release, credit_reserve
from accounts.errors import Conflict, DomainError, one_or_not_found
from accounts.models import Account, LedgerEntry
from accounts.money import to_cents
from contacts.phones import PhoneNormalizer
from contacts.selectors import is_suppressed
from messaging import dispatch, segments
from messaging.dispatch import Claim
from messaging.error_codes import MessagingErrorCode
from messaging.gateways.kinds import adapter_for
from messaging.models import SUBMITTED, Channel, IdempotencyKey, Message, MessageStatus
from messaging.pricing import PriceBook
from messaging.references import reference_new
from messaging.routes import route_resolve, route_spec
from messaging.senders import sender_valid

IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# The sender rules of the campaign wizard: up to 11 letters and digits, or a number.
# A queued single send older than this without a live claim lost its task.
STALLED_AFTER = timedelta(seconds=30)


class SingleAnswer(TypedDict):
    id: int
    status: str
    parts: int
    cost: Decimal


def _route_for_single_send(account_id: int) -> str:
    """The key of the route a single send of `account_id` goes through: the
    account's default SMS route (the built-in simulator when it has none)."""
    return route_resolve(account_id=account_id, channel="SMS").key


def request_fingerprint(payload: dict[str, Any]) -> str:
    """A hash of the request's meaning: key order and spacing do not count."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _reference(client_ref: UUID) -> str:
    return f"single:{client_ref.hex}"


def _answer(stored: dict[str, Any]) -> SingleAnswer:
    return {
        "id": stored["id"],
        "status": stored["status"],
        "parts": stored["parts"],
        "cost": Decimal(stored["cost"]),
    }


def _replay(*, account: Account, key: str, fingerprint: str) -> SingleAnswer | None:
    """The first answer given for `key`, or None if the key is new (or expired)."""
    found = IdempotencyKey.objects.filter(
        account=account, key=key, created_at__gte=timezone.now() - IDEMPOTENCY_TTL
    ).first()
    if found is None:
        return None
    if found.request_hash != fingerprint:
        raise DomainError(
            {
                "idempotency_key": _(
                    "This Idempotency-Key was already used with a different "
                    "request; use a new key for a new message."
                )
            },
            code=MessagingErrorCode.IDEMPOTENCY_KEY_REUSED,
            status_code=422,
        )
    if found.response is None:
        raise Conflict(
            {
                "idempotency_key": _(
                    "A request with this Idempotency-Key is still being processed."
                )
            },
            code=MessagingErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
        )
    return _answer(found.response)


def _number(account: Account, phone_number: str) -> tuple[str, str]:
    result = PhoneNormalizer(account.default_region).normalize(str(phone_number))
    if not result.valid:
        raise DomainError(
            {
                "phone_number": _("%(phone)s is not a valid phone number.")
                % {"phone": phone_number}
            },
            code=MessagingErrorCode.INVALID_NUMBER,
        )
    if is_suppressed(account=account, phone=result.e164):
        raise DomainError(
            {
                "phone_number": _(
                    "%(phone)s opted out or is blacklisted: it may not be messaged."
                )
                % {"phone": result.e164}
            },
            code=MessagingErrorCode.SUPPRESSED,
        )
    return result.e164, result.region or ""


def _text(text: str) -> segments.SmsInfo:
    if not text.strip():
        raise DomainError(
            {"message": _("The message is empty.")}, code=MessagingErrorCode.EMPTY_TEXT
        )
    info = segments.analyze(text, max_parts=settings.SMS_MAX_PARTS)
    if info.too_long:
        raise DomainError(
            {
                "message": _(
                    "The message needs %(parts)d SMS parts; at most %(max)d are sent."
                )
                % {"parts": info.parts, "max": settings.SMS_MAX_PARTS}
            },
            code=MessagingErrorCode.TEXT_TOO_LONG,
        )
    return info


def _sender(account: Account, sender: str | None) -> str:
    sender = (sender if sender is not None else account.default_sender).strip()
    if sender and not sender_valid(sender):
        raise DomainError(
            {
                "sender": _(
                    "A sender is up to 11 letters and digits, or a number of up to "
                    "15 digits."
                )
            },
            code=MessagingErrorCode.INVALID_SENDER,
        )
    return sender


def single_send(
    *,
    account: Account,
    phone_number: str,
    text: str,
    sender: str | None = None,
    idempotency_key: str = "",
    fingerprint: str = "",
) -> tuple[SingleAnswer, bool]:
    """Queue, charge and (on commit) send one SMS; (answer, is_replay).

    Refusals: an invalid, opted-out or blacklisted number, an empty or too long
    text, a bad sender (400); too little credit (402); a reused key (422/409).
    """
    if len(idempotency_key) > MAX_KEY_LENGTH:
        raise DomainError(
            {"idempotency_key": _("The Idempotency-Key is too long.")},
            code=MessagingErrorCode.INVALID,
        )
    if idempotency_key and (
        replay := _replay(account=account, key=idempotency_key, fingerprint=fingerprint)
    ):
        return replay, True
    phone, country = _number(account, phone_number)
    info = _text(text)
    sender = _sender(account, sender)
    unit = PriceBook(channel=Channel.SMS, volume=0).unit_price(country)
    price = unit * info.parts
    client_ref = reference_new()
    try:
        with transaction.atomic():
            key = None
            if idempotency_key:
                IdempotencyKey.objects.filter(
                    account=account,
                    key=idempotency_key,
                    created_at__lt=timezone.now() - IDEMPOTENCY_TTL,
                ).delete()
                # A concurrent request with this key blocks here until it commits,
                # then fails on the unique index and is answered from its row.
                key = IdempotencyKey.objects.create(
                    account=account, key=idempotency_key, request_hash=fingerprint
                )
            message = Message.objects.create(
                account=account,
                phone=phone,
                country=country,
                channel=Channel.SMS,
                sender=sender,
                text=text,
                parts=info.parts,
                encoding=info.encoding,
                unit_price=unit,
                price=price,
                gateway=_route_for_single_send(account.pk),
                client_ref=client_ref,
            )
            cost = to_cents(price)
            if cost > 0:
                credit_reserve(
                    account=account, amount=cost, reference=_reference(client_ref)
                )
            answer: SingleAnswer = {
                "id": message.pk,
                "status": message.status,
                "parts": message.parts,
                "cost": cost,
            }
            if key is not None:
                key.message = message
                key.response = {**answer, "cost": str(cost)}
                key.save(update_fields=["message", "response"])
            transaction.on_commit(
                lambda: current_app.send_task(
                    "messaging.send_single", args=[message.pk]
                )
            )
    except IntegrityError:
        replay = _replay(account=account, key=idempotency_key, fingerprint=fingerprint)
        if replay is None:
            raise
        return replay, True
    return answer, False


def single_submit(*, message_id: int) -> None:
    """Submit a queued single send once, then settle its price.

    The claim is a conditional UPDATE (still QUEUED, no live claim), so a
    duplicated task submits nothing; the route's `GatewayUnavailable` hands the
    claim back and propagates for the task to retry.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SEND_CLAIM_TIMEOUT)
    token = uuid4()
    claimed = (
        Message.objects.filter(
            pk=message_id,
            campaign__isnull=True,
            test_of__isnull=True,
            status=MessageStatus.QUEUED,
        )
        .filter(Q(claim_token__isnull=True) | Q(claimed_at__lt=stale))
        .update(claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed:
        message = Message.objects.only("account_id", "gateway").get(pk=message_id)
        dispatch.messages_submit(
            claim=Claim(token=token, ids=[message_id]),
            gateway=adapter_for(route_spec(message.gateway)),
            account_id=message.account_id,
        )
    single_settle(message_id=message_id)


def single_settle(*, message_id: int) -> None:
    """Capture the price of a submitted single send, or release it if refused.

    Once only: under the message's row lock, a capture or release already on
    the ledger for its reference means it was settled.
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id, campaign__isnull=True, test_of__isnull=True)
            .first()
        )
        if message is None or message.status == MessageStatus.QUEUED:
            return
        reference = _reference(message.client_ref)
        amount = to_cents(message.price)
        settled = LedgerEntry.objects.filter(
            account_id=message.account_id,
            reference=reference,
            kind__in=[LedgerEntry.Kind.CAPTURE, LedgerEntry.Kind.RELEASE],
        ).exists()
        if settled or amount <= 0:
            return
        account = Account(pk=message.account_id)
        if message.status in SUBMITTED:
            credit_capture(account=account, amount=amount, reference=reference)
        else:
            credit_release(account=account, amount=amount, reference=reference)


def singles_stalled() -> list[int]:
    """Queued single sends nobody is submitting: their task was lost."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SEND_CLAIM_TIMEOUT)
    return list(
        Message.objects.filter(
            campaign__isnull=True,
            test_of__isnull=True,
            status=MessageStatus.QUEUED,
            created_at__lt=now - STALLED_AFTER,
        )
        .filter(Q(claim_token__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )


def single_get(*, account: Account, pk: int) -> Message:
    """One of the account's messages (404 for anyone else's)."""
    return one_or_not_found(Message.objects.filter(account=account), pk=pk)


def idempotency_prune() -> int:
    """Forget keys older than `IDEMPOTENCY_TTL`; how many."""
    cutoff = timezone.now() - IDEMPOTENCY_TTL
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
