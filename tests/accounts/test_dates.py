"""One formatter for every date a page shows: the user's language, the account's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone, translation

from accounts.dates import format_amount, format_when

SATURDAY = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_english_is_day_month_year_with_a_24_hour_clock():
    with translation.override("en"), timezone.override("Europe/Rome"):
        assert format_when(SATURDAY) == "5 Dec 2026, 10:00"
        assert format_when(SATURDAY, "long") == "Saturday 5 December 2026, 10:00"


def test_italian_weekdays_and_months_are_lower_case():
    with translation.override("it"), timezone.override("Europe/Rome"):
        assert format_when(SATURDAY, "long") == "sabato 5 dicembre 2026, 10:00"
        assert format_when(SATURDAY, "date") == "5 dic 2026"


def test_a_time_no_zone_can_hold_is_shown_as_stored():
    """Year 9999 late on 31 December is year 10000 in Rome: shown, not raised."""
    last = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    with timezone.override("Europe/Rome"):
        assert format_when(last) == "9999-12-31T23:30:00+00:00"


def test_amounts_use_the_languages_decimal_separator():
    with translation.override("it"):
        assert format_amount(Decimal("1234.5")) == "1.234,50"
    with translation.override("en"):
        assert format_amount(Decimal("0.345")) == "0.35"


def test_the_confirm_message_and_the_feed_use_the_formatter(client_logged, account):
    """The activity feed writes credit movements with the language's decimal comma."""
    client_logged.cookies["django_language"] = "it"
    home = client_logged.get("/", headers={"accept-language": "it"}).content.decode()
    assert "1.500,00 EUR" in home
