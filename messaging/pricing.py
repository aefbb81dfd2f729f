"""Prices from the price list, and the human estimate of how long a send takes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.errors import DomainError
from messaging.models import Price


class PriceBook:
    """The price list for one channel, loaded once per calculation.

    `unit_price(country)` picks the destination's own rows, else the rows for every
    destination (empty country); among them the highest volume tier that `volume`
    reaches. One query however many countries a list spans.
    """

    def __init__(self, *, channel: str, volume: int) -> None:
        self.channel = channel
        self.volume = volume
        self.currency = "EUR"
        self._tiers: dict[str, list[tuple[int, Decimal]]] = {}
        for row in Price.objects.filter(channel=channel).order_by("min_volume"):
            self._tiers.setdefault(row.country, []).append((row.min_volume, row.price))
            self.currency = row.currency

    def unit_price(self, country: str) -> Decimal:
        tiers = self._tiers.get(country) or self._tiers.get("")
        if not tiers:
            raise DomainError(
                {
                    "price": _("No price is set for %(channel)s.")
                    % {"channel": self.channel}
                },
                status_code=409,
            )
        price = tiers[0][1]
        for min_volume, tier_price in tiers:
            if self.volume >= min_volume:
                price = tier_price
        return price


def estimated_duration(messages: int) -> str:
    """How long sending `messages` takes at the configured throughput, for people."""
    rate = max(1, int(getattr(settings, "SEND_RATE_PER_SECOND", 50)))
    minutes = -(-messages // (rate * 60)) if messages else 0
    if minutes <= 1:
        return _("less than a minute") if messages else _("nothing to send")
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    text = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    if rest:
        text += " " + ngettext("%(n)d minute", "%(n)d minutes", rest) % {"n": rest}
    return text
