"""Where a number is: its time zone and original operator, from libphonenumber's data.

Both are looked up once per message when a campaign's messages are created, so
they must be cheap: a country whose zones all keep the same clock (most of them:
Italy's Rome and Vatican, the UK's London and Channel Islands) is a dictionary
lookup with no parsing; only numbers of countries with several clocks (US,
Canada, Russia, Brazil, Australia, ...) are parsed, and the zone of their prefix
(`phonenumbers.timezone.time_zones_for_number`) is taken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import carrier, timezone

UNKNOWN = timezone.UNKNOWN_TIMEZONE


# Instants over two years (both daylight-saving seasons of each) to tell whether
# two zones keep the same clock.
_PROBES = tuple(datetime(2026 + m // 12, m % 12 + 1, 15, tzinfo=UTC) for m in range(24))


def _clock(zone: str) -> tuple | None:
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return tuple(probe.astimezone(info).utcoffset() for probe in _PROBES)


@cache
def _country_zones(region: str) -> tuple[str, ...]:
    """The zones libphonenumber gives a whole country (by its calling code)."""
    code = phonenumbers.country_code_for_region(region) if region else 0
    return tuple(timezone.TIMEZONE_DATA.get(str(code), ())) if code else ()


@cache
def _one_clock(zones: tuple[str, ...]) -> bool:
    """Whether the zones all keep the same clock: then the number is not needed."""
    return len({_clock(zone) for zone in zones}) == 1


def country_zone(region: str, fallback: str) -> str:
    """The zone of every number of `region` when its zones keep one clock (the
    fallback for an unknown region), else "": then only the number can tell."""
    zones = tuple(z for z in _country_zones(region) if z != UNKNOWN)
    if not zones:
        return fallback
    if not _one_clock(zones):
        return ""
    return fallback if fallback in zones else zones[0]


def zone_for(phone: str, region: str, fallback: str) -> str:
    """The IANA zone of an E.164 number; `fallback` (the account's) when unknown.

    A number with several candidate zones gets `fallback` if it is among them
    (an Italian account's +39 numbers: Europe/Rome, not the Vatican's twin), else
    the first one libphonenumber lists for its prefix (its data lists a prefix's
    zones alphabetically; they share a clock for the UK's +447 mobiles).
    """
    if region and (zone := country_zone(region, fallback)):
        return zone
    try:
        number = phonenumbers.parse(phone, region or None)
    except phonenumbers.NumberParseException:
        return fallback
    zones = tuple(z for z in timezone.time_zones_for_number(number) if z != UNKNOWN)
    if not zones:
        return fallback
    return fallback if fallback in zones else zones[0]


def carrier_for(phone: str, region: str) -> str:
    """The number's original operator (number portability is not visible), or ""."""
    try:
        number = phonenumbers.parse(phone, region or None)
    except phonenumbers.NumberParseException:
        return ""
    return carrier.name_for_number(number, "en")[:40]
