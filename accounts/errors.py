"""Domain errors raised by services and rendered in one place per interface.

The API turns them into the documented bodies (`{"status": "fail", "data": {...}}`
with `status_code`); dashboard views show `message` next to the form or as a flash.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A refusal the user can act on: an HTTP status, a field and a message."""

    status_code = 400

    def __init__(self, data: dict[str, str], *, status_code: int | None = None) -> None:
        self.data = data
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
        super().__init__({field: _("Not found")})


class Conflict(DomainError):
    """The object is in a state that forbids the request."""

    status_code = 409


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
            }
        )


class TooManyAttempts(DomainError):
    """Too many wrong API keys from one address; `retry_after` seconds to wait.

    The message is the seeds' and stays English, like the 401 it follows.
    """

    status_code = 429

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = retry_after
        message = f"Too many failed attempts; try again in {retry_after} seconds"
        super().__init__({"apiKey": message})
