"""API authentication and the account endpoint."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.security import APIKeyHeader

from accounts.api_errors import errors_named_as_sent
from accounts.api_routing import DualRouter
from accounts.apikeys import apikey_authenticate
from accounts.errors import TooManyAttempts
from accounts.money import to_cents
from accounts.services import account_send_window_set
from accounts.throttling import (
    apikey_failure_record,
    apikey_lockout_remaining,
    client_ip,
)


class ApiKeyAuth(APIKeyHeader):
    """`X-Api-Key` header; sets `request.account` for the handlers.

    An address that sent too many wrong keys is refused (429) before its key is
    even looked at: were good keys still let through, the guesser would know a hit
    from the 429s and keep going. A request without a key guesses nothing and is
    not counted.
    """

    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None):
        address = client_ip(request)
        if wait := apikey_lockout_remaining(address=address):
            raise TooManyAttempts(retry_after=wait)
        api_key = apikey_authenticate(key)
        if api_key is None:
            if key:
                apikey_failure_record(address=address)
            return None
        request.account = api_key.account
        request.api_key = api_key
        return api_key


class Fail(Schema):
    """The seeds' 4xx body: `{"status": "fail", "data": {"field": "message"}}`."""

    status: str = "fail"
    data: dict[str, str]


class AccountOut(Schema):
    id: int
    name: str
    currency: str
    availableCredit: Decimal
    reservedCredit: Decimal
    sendWindow: dict | None = Field(
        description="The send window new campaigns start with; null: any hour"
    )


class AccountIn(Schema):
    sendWindow: dict[str, Any] | None = None


router = DualRouter(tags=["Account"])


@router.get("/account", response={200: AccountOut, 401: Fail})
def account_get(request: HttpRequest) -> dict:
    """The key's account and its available credit."""
    account = request.account
    account.refresh_from_db(fields=["balance", "reserved"])
    return {
        "id": account.pk,
        "name": account.name,
        "currency": account.currency,
        "availableCredit": to_cents(account.balance),
        "reservedCredit": to_cents(account.reserved),
        "sendWindow": account.send_window,
    }


@router.api_operation(
    ["PUT", "PATCH"], "/account", response={200: AccountOut, 400: Fail, 401: Fail}
)
def account_update(request: HttpRequest, payload: AccountIn) -> dict:
    """Change the account's defaults: `sendWindow` (null clears it)."""
    if "sendWindow" in payload.model_fields_set:
        with errors_named_as_sent(payload.model_fields_set):
            account_send_window_set(account=request.account, window=payload.sendWindow)
    return account_get(request)
