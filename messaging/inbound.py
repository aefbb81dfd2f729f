"""Replies: store what recipients send back, and act on STOP / START.

A whole message that is one of `STOP_WORDS` (English and Italian, any case,
spaces and punctuation ignored: "Stop.", " basta! ") opts the sender out of the
account's campaigns with source "reply"; `START_WORDS` lifts such an opt-out
again. Within one batch the last keyword of a number wins. A reply the
provider delivers twice (same provider id on the same route) is stored and
applied once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.db.models import QuerySet

from contacts.optouts import optouts_reply_apply
from contacts.phones import PhoneNormalizer
from messaging.gateways.base import InboundMessage as Inbound
from messaging.models import InboundMessage
from messaging.routes import route_account_id

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "CANCELLA", "BASTA"}
)
START_WORDS = frozenset({"START", "UNSTOP"})
_NOT_WORD = re.compile(r"[\W_]+")


def keyword_of(text: str) -> str:
    """The keyword the whole message is, or "" ("stop please" is not one)."""
    word = _NOT_WORD.sub("", text).upper()
    return word if word in STOP_WORDS | START_WORDS else ""


def inbound_receive(*, route_key: str, messages: Sequence[Inbound]) -> int:
    """Store the replies a route received and apply their keywords; new ones stored.

    Replies to the built-in simulator belong to no account and are dropped.
    """
    account_id = route_account_id(route_key)
    if account_id is None or not messages:
        return 0
    ids = {m.provider_id for m in messages if m.provider_id}
    seen = set(
        InboundMessage.objects.filter(
            gateway=route_key, provider_id__in=ids
        ).values_list("provider_id", flat=True)
    )
    normalize = PhoneNormalizer("IT").normalize
    rows, last_keyword = [], {}
    for message in messages:
        if message.provider_id and message.provider_id in seen:
            continue
        if message.provider_id:
            seen.add(message.provider_id)  # twice in one call counts once
        result = normalize(message.phone)
        phone = result.e164 if result.valid else message.phone.strip()[:16]
        keyword = keyword_of(message.text)
        if keyword and result.valid:
            last_keyword[phone] = keyword
        rows.append(
            InboundMessage(
                account_id=account_id,
                gateway=route_key,
                phone=phone,
                to=message.to[:20],
                text=message.text[:2000],
                provider_id=message.provider_id[:100],
                keyword=keyword,
            )
        )
    with transaction.atomic():
        InboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
        optouts_reply_apply(
            account_id=account_id,
            stop={p for p, k in last_keyword.items() if k in STOP_WORDS},
            start={p for p, k in last_keyword.items() if k in START_WORDS},
        )
    return len(rows)


ANY_KEYWORD = "any"


def replies_for_account(
    *, account_id: int, keyword: str = ""
) -> QuerySet[InboundMessage]:
    """The account's replies; `keyword` one of the keywords, `any` for all of
    them, empty for every reply."""
    replies = InboundMessage.objects.filter(account_id=account_id)
    if keyword == ANY_KEYWORD:
        return replies.exclude(keyword="")
    if keyword:
        return replies.filter(keyword=keyword.upper())
    return replies
