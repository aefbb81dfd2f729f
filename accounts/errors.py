"""Domain errors raised by services and rendered in one place per interface.

Each carries a code (one `StrEnum` per domain, in its `error_codes.py`), an HTTP
status and messages keyed by the domain's own field names (`contact_list`,
`scheduled_at`). The API edge renames the keys to the spelling the client sent
(`accounts.api.errors_named_as_sent`) and renders the seeds' body; forms put each
message on the field of the same name (`accounts.forms.add_domain_errors`).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from accounts.error_codes import AccountErrorCode, CommonErrorCode

M = TypeVar("M", bound=Model)


class DomainError(Exception):
    """A refusal the user can act on: a code, an HTTP status, fields and messages."""

    status_code = 400

    def __init__(
        self,
        data: dict[str, str],
        *,
        code: StrEnum = CommonErrorCode.INVALID,
        status_code: int | None = None,
    ) -> None:
        self.data = data
        self.code = code
        if status_code is not None:
            self.status_code = status_code
        super().__init__("; ".join(f"{k}: {v}" for k, v in data.items()))

    @property
    def message(self) -> str:
        """The first message, for places that show one line."""
        return next(iter(self.data.values()), "")


class NotFound(DomainError):
    """The object does not exist in the caller's account (other tenants' look the same)."""

    status_code = 404

    def __init__(self, field: str = "id") -> None:
        super().__init__({field: _("Not found")}, code=CommonErrorCode.NOT_FOUND)


class Conflict(DomainError):
    """The object is in a state that forbids the request."""

    status_code = 409

    def __init__(
        self, data: dict[str, str], *, code: StrEnum = CommonErrorCode.CONFLICT
    ) -> None:
        super().__init__(data, code=code)


class InsufficientCredit(DomainError):
    """The balance does not cover an amount; carries both figures for the message."""

    status_code = 402

    def __init__(self, *, required: Decimal, available: Decimal) -> None:
        self.required = required
        self.available = available
        super().__init__(
            {
                "credit": _(
                    "Insufficient credit. Required: %(required)s, available: %(available)s"
                )
                % {"required": f"{required:.2f}", "available": f"{available:.2f}"}
            },
            code=AccountErrorCode.INSUFFICIENT_CREDIT,
        )


def one_or_not_found(rows: QuerySet[M], **filters: Any) -> M:
    """The row of `rows` matching `filters`, or NotFound: every scoped fetch by id.

    Callers pass a queryset already scoped to the account, so another tenant's id
    is indistinguishable from one that never existed.
    """
    found = rows.filter(**filters).first()
    if found is None:
        raise NotFound()
    return found


class TooManyAttempts(DomainError):
    """Too many wrong API keys from one address; `retry_after` seconds to wait.

    The message is the seeds' and stays English, like the 401 it follows.
    """

    status_code = 429

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = retry_after
        message = f"Too many failed attempts; try again in {retry_after} seconds"
        super().__init__({"apiKey": message})
