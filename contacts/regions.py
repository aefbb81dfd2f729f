"""Countries a number without a prefix can belong to (the "default region").

The names come from phonenumbers' own locale data, so the picker needs no extra
package and lists exactly the regions the parser understands.
"""

from __future__ import annotations

import functools
import unicodedata

import phonenumbers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from phonenumbers import geocoder

from accounts.errors import DomainError
from contacts.error_codes import ContactErrorCode

# Regions phonenumbers parses but has no display name for.
_UNNAMED = {
    "AC": "Ascension Island",
    "BL": "Saint Barthélemy",
    "EH": "Western Sahara",
    "MF": "Saint Martin",
    "TA": "Tristan da Cunha",
    "XK": "Kosovo",
}


@functools.cache
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    entries = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        name = (
            geocoder.country_name_for_number(example, language)
            or _UNNAMED.get(region)
            or region
        )
        code = phonenumbers.country_code_for_region(region)
        entries.append((region, f"{name} (+{code})"))
    return tuple(sorted(entries, key=lambda entry: _sort_key(entry[1])))


def _sort_key(name: str) -> str:
    """Alphabetical as people expect it: "Åland" next to "Albania", not after "Zimbabwe"."""
    return (
        unicodedata.normalize("NFKD", name)
        .encode("ascii", "ignore")
        .decode()
        .casefold()
    )


def region_choices() -> list[tuple[str, str]]:
    """(code, "Italy (+39)") for every region, by name in the active language."""
    return list(_choices((get_language() or "en").split("-")[0]))


def region_clean(
    value: str | None, *, default: str, field: str = "default_region"
) -> str:
    """An upper-case region code; `default` when empty; DomainError when unknown."""
    region = (value or "").strip().upper() or default
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise DomainError(
            {field: _("Unknown country code: %(code)s") % {"code": value}},
            code=ContactErrorCode.UNKNOWN_REGION,
        )
    return region
