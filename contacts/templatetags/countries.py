"""`{{ "SB"|country_name }}` -> "Solomon Islands" / "Isole Salomone" (CLDR)."""

from __future__ import annotations

from django import template

from contacts.regions import country_name as _country_name

register = template.Library()


@register.filter
def country_name(region: str) -> str:
    return _country_name(region) if region and region.isalpha() else region
