"""Tenancy (accounts and memberships), the credit ledger and API keys."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


def money_field(**kwargs) -> models.DecimalField:
    """Return the project-wide money column (see `accounts.money`)."""
    kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
    kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
    return models.DecimalField(**kwargs)


def user_field(**kwargs) -> models.ForeignKey:
    """Return the column naming who did something; the record outlives the user."""
    kwargs.setdefault("on_delete", models.SET_NULL)
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", **kwargs
    )


class Account(models.Model):
    """A tenant: every contact list, campaign, key and credit row belongs to one."""

    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Rome")
    default_region = models.CharField(
        _("default country for numbers"), max_length=2, default="IT"
    )
    default_sender = models.CharField(_("default sender"), max_length=15, blank=True)
    # New campaigns start with it (`accounts.windows`); None: any hour.
    send_window = models.JSONField(_("default send window"), null=True, blank=True)
    balance = money_field(verbose_name=_("available credit"), default=Decimal("0"))
    reserved = money_field(verbose_name=_("reserved credit"), default=Decimal("0"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        constraints = [
            # The last line of defence: services already guard every UPDATE.
            models.CheckConstraint(
                condition=Q(balance__gte=0),
                name="account_balance_not_negative",
                violation_error_message=_("The balance cannot go below zero."),
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="account_reserved_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    """A user's place in an account; the role decides who manages keys and members."""

    Role = Role

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("role"), max_length=10, choices=Role.choices, default=Role.MEMBER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="one_membership"),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account} ({self.role})"


class LedgerKind(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    RESERVATION = "reservation", _("Reservation")
    CAPTURE = "capture", _("Capture")
    RELEASE = "release", _("Release")
    REFUND = "refund", _("Refund")
    ADJUSTMENT_CREDIT = "adjustment_credit", _("Adjustment (credit)")
    ADJUSTMENT_DEBIT = "adjustment_debit", _("Adjustment (debit)")


class LedgerEntry(models.Model):
    """One change of an account's credit; the ledger is the history of the balance.

    `amount` is always positive; `kind` says which way it moved money between the
    available balance and the reserved pot. `balance_after`/`reserved_after` make
    the history readable without replaying it.
    """

    Kind = LedgerKind

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="ledger"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = money_field(verbose_name=_("amount"))
    balance_after = money_field(verbose_name=_("balance after"))
    reserved_after = money_field(verbose_name=_("reserved after"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = user_field()
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="ledger_account_recent")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="ledger_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LedgerKind.values), name="ledger_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.account})"

    @property
    def is_credit(self) -> bool:
        """Whether the entry raised the available balance."""
        return self.kind in {
            self.Kind.TOP_UP,
            self.Kind.RELEASE,
            self.Kind.REFUND,
            self.Kind.ADJUSTMENT_CREDIT,
        }


class ApiKey(models.Model):
    """A secret for the JSON API, stored only as a SHA-256 hash.

    Keys are 256-bit random tokens, so a fast hash is as safe as a slow one and
    lets every request authenticate with one indexed lookup.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = user_field()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
