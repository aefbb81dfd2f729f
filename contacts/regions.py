"""Countries a number without a prefix can belong to (the "default region").

The picker lists exactly the regions phonenumbers parses; their names come from
CLDR through Babel, in the user's language ("Isole Salomone", "Isola di
Ascensione"), where phonenumbers' geocoder had gaps and odd spellings.
"""

from __future__ import annotations

import functools
import unicodedata

import phonenumbers
from babel import Locale
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from contacts.error_codes import ContactErrorCode


def country_name(region: str, language: str | None = None) -> str:
    """The country's name in `language` (default: the active one), from CLDR."""
    locale = Locale.parse(to_locale(language or get_language() or "en"))
    return locale.territories.get(region.upper(), region)


@functools.cache
def _choices(language: str) -> tuple[tuple[str, str], ...]:
    entries = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        name = country_name(region, language)
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
