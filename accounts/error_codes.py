"""Error codes of the accounts domain, and the ones every domain shares."""

from __future__ import annotations

from enum import StrEnum


class CommonErrorCode(StrEnum):
    """Refusals any domain can make."""

    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"


class AccountErrorCode(StrEnum):
    INVALID_AMOUNT = "invalid_amount"
    INSUFFICIENT_CREDIT = "insufficient_credit"
