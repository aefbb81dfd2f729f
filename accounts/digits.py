"""Numbers that users type or send: ASCII digits only.

`str.isdigit()` also says yes to "²" or "৩", which `int()` then refuses with a
ValueError (or reads as another number): every id, cursor or index that comes
from a request, a file or a provider is checked here instead.
"""

from __future__ import annotations

BIGINT_DIGITS = 18  # any 18 digits fit PostgreSQL's bigint


def ascii_digits(value: object) -> bool:
    """Whether `value` is a non-empty string of the digits 0-9."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def as_id(value: object) -> int | None:
    """`value` as a row id (a string of at most 18 digits), else None."""
    if ascii_digits(value) and len(value) <= BIGINT_DIGITS:
        return int(value)
    return None
