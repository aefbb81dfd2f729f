"""What any input must be before it reaches a service: storable text, sane dates.

PostgreSQL refuses NUL in text, and UTF-8 cannot encode a lone surrogate
(`"\\ud800"` in JSON); both made the database raise (a 500) wherever a string
was stored or compared. Datetimes are bounded too: `9999-12-31T23:59:59-14:00`
is a valid ISO string whose UTC time is year 10000, which PostgreSQL stores
and Python cannot read back, so every page showing it answered 500.

This module is the one rule for both, used by every API schema (`Text`,
`SafeDatetime`), by the JSON parser (`refuse_unstorable`, which also covers
dict keys and free-form values) and by the request middleware (query strings).
Page forms use `TextField` (Django's own CharField already refuses NUL; this
also refuses surrogates, which a form can receive through `QueryDict` only
when a client sends them percent-encoded as CESU-8, and keeps one message).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from pydantic import AfterValidator

from accounts.errors import DomainError

# NUL and the UTF-16 surrogate range: neither can be stored as UTF-8 text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Dates any part of the stack can hold in any time zone, with room to spare.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# Ids are 64-bit; counts stored in PositiveIntegerField are 32-bit signed.
MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1


class UnstorableInput(DomainError):
    """A request value that no column can hold: a 400 naming where it was."""

    def __init__(self, field: str, message: str = "") -> None:
        super().__init__(
            {
                field: message
                or _("Text may not contain NUL characters or unpaired surrogates.")
            }
        )


def json_loads(raw: bytes) -> Any:
    """Parse a JSON request body, refusing what could not be stored (400s).

    Bytes that are not UTF-8 (RFC 8259 asks for it), malformed JSON, and any
    string, key or value, with NUL or an unpaired surrogate (which `\\ud800`
    escapes produce) are each a `DomainError` naming `body` or the field.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnstorableInput("body", _("The body is not valid UTF-8.")) from exc
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        # Besides JSONDecodeError (a ValueError): a number past int()'s digit
        # limit (ValueError) and arrays or objects nested past the recursion limit.
        raise UnstorableInput("body", "Malformed JSON") from exc
    refuse_unstorable(data)
    return data


def is_storable(text: str) -> bool:
    """Whether `text` can be stored as UTF-8 text in PostgreSQL."""
    return _UNSTORABLE.search(text) is None


def storable(text: str) -> str:
    """`text` without what PostgreSQL cannot store: for what a provider says,
    kept as far as it can be rather than refused (its report still counts)."""
    return _UNSTORABLE.sub("", text)


def _storable(text: str) -> str:
    if not is_storable(text):
        raise ValueError(
            _("Text may not contain NUL characters or unpaired surrogates.")
        )
    return text


def refuse_unstorable(value: Any, field: str = "body") -> None:
    """Raise `UnstorableInput` for the first unstorable string in parsed JSON.

    Keys count as much as values: template variables and contact attributes are
    stored as JSON, keys and all.
    """
    if isinstance(value, str):
        if not is_storable(value):
            raise UnstorableInput(field)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = key if isinstance(key, str) and is_storable(key) else field
            if not is_storable(str(key)):
                raise UnstorableInput(field)
            refuse_unstorable(item, name)
    elif isinstance(value, list):
        for item in value:
            refuse_unstorable(item, field)


def _within_bounds(when: datetime) -> datetime:
    try:
        utc = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(_("Use a date between the years 1900 and 2199."))
    return when


# Every API string field: `Text` plus the column's `max_length` in `Field(...)`.
Text = Annotated[str, AfterValidator(_storable)]
# Every API datetime field: representable in UTC whatever its offset.
SafeDatetime = Annotated[datetime, AfterValidator(_within_bounds)]


def datetime_in_bounds(when: datetime) -> bool:
    """Whether `when` can be stored, read back and shown in any time zone."""
    try:
        _within_bounds(when)
    except ValueError:
        return False
    return True


def within_a_year(when: datetime, *, now: datetime) -> bool:
    """Whether `when` is at most a year (366 days, leap years too) after `now`."""
    return datetime_in_bounds(when) and when <= now + timedelta(days=366)


def validate_storable(value: Any) -> None:
    """A Django validator for form and model fields: no NUL, no lone surrogate."""
    if isinstance(value, str) and not is_storable(value):
        raise DjangoValidationError(
            _("Text may not contain NUL characters or unpaired surrogates."),
            code="unstorable",
        )


class TextField(forms.CharField):
    """A form CharField whose text can always be stored (see the module docstring)."""

    default_validators = [validate_storable]


class SafeDateTimeField(forms.DateTimeField):
    """A form DateTimeField refusing dates outside 1900-2199 (storable anywhere)."""

    def clean(self, value: Any) -> datetime | None:
        when = super().clean(value)
        if when is not None and not datetime_in_bounds(when):
            raise DjangoValidationError(
                _("Use a date between the years 1900 and 2199."), code="out_of_range"
            )
        return when
