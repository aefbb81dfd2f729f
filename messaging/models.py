"""The channels and the price list: what any message costs, campaign or not."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import money_field


class Channel(models.TextChoices):
    SMS = "SMS", "SMS"
    RCS = "RCS", "RCS"
    WHATSAPP = "WHATSAPP", "WhatsApp"


class Price(models.Model):
    """What one message (an SMS: one part) costs, by channel, destination and volume.

    The row with an empty country applies to every destination without its own row;
    among a destination's rows the one with the highest `min_volume` not above the
    campaign's message count wins (volume tiers).
    """

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    country = models.CharField(
        _("destination country"),
        max_length=2,
        blank=True,
        help_text=_("ISO code such as IT; empty for every destination."),
    )
    min_volume = models.PositiveIntegerField(
        _("from volume"), default=0, help_text=_("Applies from this many messages up.")
    )
    price = money_field(verbose_name=_("price per message or SMS part"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")

    class Meta:
        # The table kept the name it had when the price list lived in campaigns.
        db_table = "campaigns_price"
        verbose_name = _("price")
        verbose_name_plural = _("price list")
        ordering = ["channel", "country", "min_volume"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "country", "min_volume"], name="one_price_per_tier"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="price_positive"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="price_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        where = self.country or _("all destinations")
        return (
            f"{self.channel} {where} ≥{self.min_volume}: {self.price} {self.currency}"
        )


class RateBucket(models.Model):
    """A gateway's token bucket kept in the database, when no Redis holds it.

    The quick start (SQLite, file-system broker) and any non-Redis broker use these
    rows; `messaging.ratelimit` alone reads and writes them, each in one locked
    read-modify-write.
    """

    key = models.CharField(primary_key=True, max_length=200)
    tokens = models.FloatField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.tokens:.2f} tokens at {self.updated_at:%H:%M:%S.%f}"
