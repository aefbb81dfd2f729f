"""Replies over the API: what recipients sent back, newest first."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from accounts.api import Fail
from accounts.api_routing import DualRouter
from accounts.digits import as_id
from accounts.errors import DomainError
from contacts.paging import keyset_page
from messaging.inbound import replies_for_account
from messaging.models import InboundMessage

router = DualRouter(tags=["Replies"])


class ReplyOut(Schema):
    id: int
    phoneNumber: str
    to: str
    text: str
    keyword: str = Field(description="STOP, START, ... when the whole reply is one")
    gateway: str = Field(description="The route key it came through")
    receivedAt: datetime


class RepliesOut(Schema):
    replies: list[ReplyOut]
    nextCursor: str | None


def reply_out(reply: InboundMessage) -> dict:
    return {
        "id": reply.pk,
        "phoneNumber": reply.phone,
        "to": reply.to,
        "text": reply.text,
        "keyword": reply.keyword,
        "gateway": reply.gateway,
        "receivedAt": reply.received_at,
    }


@router.get("/replies", response={200: RepliesOut, 400: Fail, 401: Fail})
def replies_api(
    request: HttpRequest,
    keyword: str = Query("", description="A keyword (STOP, START, ...) or `any`"),
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
):
    """The account's replies, newest first (`nextCursor` pages on)."""
    after = as_id(cursor) if cursor else None
    if cursor and after is None:
        raise DomainError({"cursor": _("Invalid cursor")})
    page = keyset_page(
        replies_for_account(account_id=request.account.pk, keyword=keyword),
        after=after,
        size=limit,
        descending=True,
    )
    return {
        "replies": [reply_out(reply) for reply in page.items],
        "nextCursor": str(page.next_after) if page.next_after else None,
    }
