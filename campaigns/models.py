"""Campaigns and their history."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, money_field, user_field
from campaigns.states import RecurringStatus, Status
from contacts.models import ContactList
from messaging.models import Channel


class MessageSettings(models.Model):
    """What a campaign sends and how: shared by a campaign and a recurring schedule,
    whose runs copy these fields by name."""

    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    sender = models.CharField(_("sender"), max_length=15, blank=True)
    text = models.TextField(_("message"), blank=True)
    template_id = models.CharField(_("template"), max_length=200, blank=True)
    # The approved template's language, resolved from `template_id` ("name" or
    # "name:language") against the account's synced templates.
    template_language = models.CharField(
        _("template language"), max_length=15, blank=True
    )
    # WhatsApp: which list column fills each variable, {"1": "first_name", ...}.
    template_variables = models.JSONField(
        _("template variables"), default=dict, blank=True
    )
    unicode = models.BooleanField(_("force Unicode (UCS-2)"), default=False)
    transliterate_fields = models.BooleanField(
        _("transliterate personalization fields to GSM-7"), default=False
    )
    fallback = models.BooleanField(_("fall back to SMS"), default=False)
    fallback_text = models.TextField(_("fallback SMS text"), blank=True)
    simulation = models.BooleanField(
        _("simulation (no sending, no charge)"), default=False
    )
    goal_contact_count = models.PositiveIntegerField(
        _("recipients cap"), null=True, blank=True
    )
    # Landlines are valid numbers, but an SMS to one usually does not arrive:
    # they are left out (and not charged) unless the marketer asks for them.
    include_landlines = models.BooleanField(_("send to landlines too"), default=False)

    class Meta:
        abstract = True


class Campaign(MessageSettings):
    """A bulk send to one contact list, walked through the lifecycle in `states`.

    The quote columns are filled by cost calculation and cleared by any edit; the
    reservation is what confirmation took from the account's credit.
    """

    Status = Status

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    contact_list = models.ForeignKey(
        ContactList,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("contact list"),
    )
    send_immediately = models.BooleanField(_("send immediately"), default=False)
    scheduled_at = models.DateTimeField(_("scheduled time"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )

    # The quote (cost calculation), in UC-006's terms: of `total_recipients` rows
    # in the list, `valid_recipients` may be messaged; the rest are malformed,
    # duplicates or opted out / blacklisted. `recipient_count` is who gets it
    # (the valid ones, capped by `goal_contact_count`).
    total_recipients = models.PositiveIntegerField(null=True, blank=True)
    valid_recipients = models.PositiveIntegerField(null=True, blank=True)
    malformed_recipients = models.PositiveIntegerField(null=True, blank=True)
    duplicate_recipients = models.PositiveIntegerField(null=True, blank=True)
    blacklisted_recipients = models.PositiveIntegerField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(null=True, blank=True)
    estimated_parts = models.PositiveIntegerField(null=True, blank=True)
    encoding = models.CharField(max_length=8, blank=True)
    parts_per_message = models.PositiveSmallIntegerField(null=True, blank=True)
    estimated_cost = money_field(null=True, blank=True)
    cost_per_message = money_field(null=True, blank=True)
    # Bumped by every calculation: confirm reserves the price of the version it read.
    quote_version = models.PositiveIntegerField(default=0)
    # The newest contact the quote counted: rows added to the list later are not
    # part of what was confirmed, so sending stops there.
    last_contact_id = models.BigIntegerField(null=True, blank=True)
    # Breakdowns: by country, by parts, personalization insights (see `quotes`).
    quote = models.JSONField(default=dict, blank=True)
    reserved_amount = money_field(default=Decimal("0"))
    captured_amount = money_field(default=Decimal("0"))

    # Sending.
    gateway = models.CharField(_("route"), max_length=40, default="simulator")
    recipients_frozen_at = models.DateTimeField(null=True, blank=True)
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    # When a worker last claimed a batch: a sending campaign quiet for longer than
    # the claim timeout lost its lanes (a dead worker, a lost broker message).
    last_batch_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)

    # Smart sending (`campaigns.windows`, `forecast`, `canary`): when, how fast,
    # and a first slice that must look healthy before the rest goes.
    send_window = models.JSONField(_("send window"), null=True, blank=True)
    max_per_minute = models.PositiveIntegerField(
        _("at most messages per minute"), null=True, blank=True
    )
    spread_hours = models.PositiveSmallIntegerField(
        _("spread over hours"), null=True, blank=True
    )
    canary = models.JSONField(_("canary"), null=True, blank=True)
    # Recipients per time zone, counted when the messages are made: the zones a
    # claim may take from are the open ones among these few.
    zone_counts = models.JSONField(default=dict, blank=True)
    canary_hold_until = models.DateTimeField(null=True, blank=True)
    canary_passed_at = models.DateTimeField(null=True, blank=True)
    track_links = models.BooleanField(_("track links"), default=False)

    created_by = user_field()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    configured_at = models.DateTimeField(null=True, blank=True)
    calculated_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    # An occurrence of a recurring campaign: which one, and the run it was made for.
    recurring = models.ForeignKey(
        "RecurringCampaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="occurrences",
        verbose_name=_("recurring campaign"),
    )
    occurrence_at = models.DateTimeField(_("occurrence"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["account", "-created_at"], name="campaign_account_recent"
            ),
            models.Index(fields=["status", "scheduled_at"], name="campaign_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="campaign_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="campaign_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(reserved_amount__gte=0),
                name="campaign_reserved_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0),
                name="campaign_captured_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="SCHEDULED") | Q(scheduled_at__isnull=False),
                name="campaign_scheduled_has_time",
            ),
            # One campaign per run, even if two tickers claim the same one.
            models.UniqueConstraint(
                fields=["recurring", "occurrence_at"],
                condition=Q(recurring__isnull=False),
                name="campaign_one_per_occurrence",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaigns:detail", args=[self.pk])

    @property
    def status_label(self) -> str:
        """The status as a person reads it: a stop shows as one, not as a pause
        or a campaign that ran to its end."""
        if self.stop_requested_at and self.status == self.Status.COMPLETED:
            return _("Completed (stopped)")
        if self.stop_requested_at and self.status == self.Status.PAUSED:
            return _("Stopping")
        return self.get_status_display()

    @property
    def price_label(self) -> Decimal | None:
        """What the list shows as its price: the final cost once it is over,
        else the quote."""
        if self.status == self.Status.COMPLETED:
            return Decimal("0") if self.simulation else self.captured_amount
        if self.status == self.Status.CANCELED:
            return Decimal("0")
        return self.estimated_cost

    @property
    def has_links(self) -> bool:
        """Whether its texts carry short links, so link figures are worth reading."""
        return self.track_links or "optout_link" in self.text

    @property
    def invalid_recipients(self) -> int | None:
        """Rows that will not be messaged: malformed, duplicate, opted out (UC-006)."""
        if self.total_recipients is None or self.valid_recipients is None:
            return None
        return self.total_recipients - self.valid_recipients

    @property
    def reference(self) -> str:
        """How the ledger names this campaign."""
        return f"campaign:{self.pk}"


class CampaignEvent(models.Model):
    """One step of a campaign's history: a transition, who made it and when."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=300, blank=True)
    actor = user_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign history")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class RecurringCampaign(MessageSettings):
    """Campaign settings and an RFC 5545 rule: each run becomes a new campaign.

    `next_run_at` (UTC) is computed in the schedule's own time zone
    (`campaigns.recurrence`), so 08:00 stays 08:00 across daylight-saving changes.
    A ticker claims a due run with a conditional UPDATE of `next_run_at`; the run
    is a campaign with its own quote, reservation and statistics, created from the
    settings below. A run that cannot go ahead (too little credit, no valid
    recipients) is skipped, its reason kept in `last_error`.
    """

    Status = RecurringStatus

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="recurring_campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # With the `MessageSettings` fields: what each occurrence copies.
    contact_list = models.ForeignKey(
        ContactList,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recurring_campaigns",
        verbose_name=_("contact list"),
    )

    # The schedule: the rule is iterated in `timezone` from `starts_at` (DTSTART).
    rrule = models.TextField(_("recurrence rule (RFC 5545)"))
    timezone = models.CharField(_("time zone"), max_length=64)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=RecurringStatus.choices,
        default=RecurringStatus.ACTIVE,
    )
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    # Why the latest run was skipped, and the run it was; cleared by a run that goes.
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("skipped run"), null=True, blank=True)

    created_by = user_field()
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("recurring campaign")
        verbose_name_plural = _("recurring campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_run_at"], name="recurring_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RecurringStatus.values),
                name="recurring_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="recurring_channel_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="ACTIVE") | Q(next_run_at__isnull=False),
                name="recurring_active_has_next_run",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaigns:recurring") + f"#recurring-{self.pk}"
