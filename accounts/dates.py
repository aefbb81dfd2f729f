"""The one date formatter (and its amount twin): every date and time a page shows, in words of the
user's language and the account's time zone.

Pages mixed Django's `SHORT_DATETIME_FORMAT` ("12/03/2026 10 a.m.", US order)
with spelled-out dates; Italian needs lower-case weekdays and months ("sabato 5
dicembre"), which CLDR has and Django's own month names do not. So templates
use the `when` filter (`accounts/templatetags/when.py`) and Python code calls
`format_when`; both format with Babel from CLDR in the active language, after
converting to the active time zone (the account's, set per request).

It never raises: a value that cannot be shifted into the zone (a year-9999 time
stored before input was bounded) is shown as stored, in UTC ISO form, so no
stored row can take a page down.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from django.utils import timezone, translation

from accounts.money import to_cents

Style = Literal["datetime", "long", "date", "time", "iso"]

# CLDR patterns: day before month in both languages, a 24-hour clock.
PATTERNS: dict[str, str] = {
    "datetime": "d MMM y, HH:mm",
    "long": "EEEE d MMMM y, HH:mm",
    "date": "d MMM y",
    "time": "HH:mm",
}


def babel_locale() -> str:
    """The active Django language as a Babel locale name ("it", "en")."""
    return translation.to_locale(translation.get_language() or "en")


def format_when(value: datetime | date | None, style: Style = "datetime") -> str:
    """`value` in the active language and time zone; "" for None."""
    if value is None:
        return ""
    try:
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            if style == "iso":
                return value.isoformat()
            if style == "date":
                return format_date(
                    value.date(), PATTERNS["date"], locale=babel_locale()
                )
            if style == "time":
                return format_time(value, PATTERNS["time"], locale=babel_locale())
            return format_datetime(value, PATTERNS[style], locale=babel_locale())
        if style == "iso":
            return value.isoformat()
        return format_date(value, PATTERNS["date"], locale=babel_locale())
    except (OverflowError, ValueError):
        return value.isoformat()


def format_amount(amount: Decimal) -> str:
    """An amount in cents as the active language writes it ("1.234,50" in Italian)."""
    return format_decimal(to_cents(amount), "#,##0.00", locale=babel_locale())
