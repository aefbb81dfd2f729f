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


class MessageStatus(models.TextChoices):
    """One message's life: queued, handed to the route, then a final outcome."""

    QUEUED = "QUEUED", _("Queued")
    SUBMITTED = "SUBMITTED", _("Sent")
    DELIVERED = "DELIVERED", _("Delivered")
    UNDELIVERED = "UNDELIVERED", _("Undelivered")
    EXPIRED = "EXPIRED", _("Expired")
    REJECTED = "REJECTED", _("Rejected")
    FAILED = "FAILED", _("Failed")
    SKIPPED = "SKIPPED", _("Skipped (opted out)")
    CANCELED = "CANCELED", _("Canceled")


# Nothing changes a message in these any more (a late receipt included).
FINAL = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.EXPIRED,
        MessageStatus.REJECTED,
        MessageStatus.FAILED,
        MessageStatus.SKIPPED,
        MessageStatus.CANCELED,
    }
)
# The route accepted them: these are charged.
SUBMITTED = frozenset(
    {
        MessageStatus.SUBMITTED,
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.EXPIRED,
    }
)


class Message(models.Model):
    """One message to one number through one route: what was sent, what it cost,
    what became of it.

    It keeps its own copy of the number and the rendered text, so editing or
    deleting the contact list afterwards changes nothing. `client_ref` is ours and
    goes to the provider with every attempt, so a retried submission is recognised.
    A claim (`claim_token`, `claimed_at`) marks a QUEUED message a worker is
    submitting; a claim older than the timeout is taken over by another worker.
    """

    Status = MessageStatus

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="messages"
    )
    # Null for a single (transactional or test) send; a campaign's messages are
    # deleted with it.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        db_constraint=True,
    )
    # A test send of a campaign (not part of it: no unique number, no tallies).
    test_of = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="test_messages",
    )
    contact_id = models.BigIntegerField(null=True, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=16)
    country = models.CharField(_("country"), max_length=2, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    sender = models.CharField(_("sender"), max_length=15, blank=True)
    text = models.TextField(_("text"))
    parts = models.PositiveSmallIntegerField(_("parts"), default=1)
    encoding = models.CharField(_("encoding"), max_length=8, blank=True)
    unit_price = money_field(verbose_name=_("price per part"))
    price = money_field(verbose_name=_("price"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=MessageStatus.choices,
        default=MessageStatus.QUEUED,
    )
    gateway = models.CharField(_("route"), max_length=40)
    client_ref = models.UUIDField(_("our reference"), unique=True)
    provider_id = models.CharField(_("provider's id"), max_length=100, blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_reason = models.CharField(_("error"), max_length=300, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("sent"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # SMS fallback (`messaging.fallback`): on an RCS/WhatsApp message, when its SMS
    # was made (it is never made twice); on that SMS, the message it replaces.
    fallback_at = models.DateTimeField(_("fell back to SMS"), null=True, blank=True)
    fallback_of = models.BigIntegerField(_("fallback of"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # Claims scan a campaign's queued messages in id order.
            models.Index(
                fields=["campaign", "id"],
                condition=Q(status="QUEUED"),
                name="message_queued",
            ),
            models.Index(fields=["campaign", "status", "id"], name="message_status"),
            models.Index(
                fields=["gateway", "provider_id"],
                condition=~Q(provider_id=""),
                name="message_provider_id",
            ),
            models.Index(
                fields=["submitted_at"],
                condition=Q(status="SUBMITTED"),
                name="message_awaiting_report",
            ),
            # RCS/WhatsApp messages that may still need their SMS fallback.
            models.Index(
                fields=["campaign", "submitted_at"],
                condition=Q(status="SUBMITTED", fallback_at__isnull=True)
                & ~Q(channel="SMS"),
                name="message_awaiting_fallback",
            ),
        ]
        constraints = [
            # One message per number and channel: a recipient of an RCS/WhatsApp
            # campaign gets at most that message and one SMS fallback.
            models.UniqueConstraint(
                fields=["campaign", "phone", "channel"],
                condition=Q(campaign__isnull=False),
                name="one_message_per_campaign_number",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values),
                name="message_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="message_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.status}"


class MessageTally(models.Model):
    """How many of a campaign's messages are in each status.

    Kept by the same transactions that move messages, a batch at a time, so
    statistics read a handful of rows whatever the campaign's size.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="tallies"
    )
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    # A campaign with SMS fallback has messages in two channels, counted apart.
    channel = models.CharField(max_length=10, choices=Channel.choices)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "status"], name="one_tally_per_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}: {self.count}"


class MessageTimeline(models.Model):
    """How many of a campaign's messages reached each status, minute by minute.

    Written with the tallies (same batches), read by the live chart: a few
    hundred rows for a long campaign, whatever its size.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="timeline"
    )
    minute = models.DateTimeField()
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "minute", "status"], name="one_point_per_minute"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minute:%H:%M} {self.status}: {self.count}"


class DeliveryReport(models.Model):
    """A provider's report as received, kept until it is applied to its message.

    Reports are stored first and applied in batches (`receipts.reports_apply`): a
    report for a message whose submission is not recorded yet waits here, and a
    repeated one finds its message already final and changes nothing.
    """

    gateway = models.CharField(max_length=40)
    provider_id = models.CharField(max_length=100, blank=True)
    client_ref = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    error_code = models.CharField(max_length=40, blank=True)
    error_reason = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    # A report whose message is not known yet is looked at again from this time.
    retry_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["retry_at", "id"],
                condition=Q(applied_at__isnull=True),
                name="report_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.provider_id or self.client_ref}: {self.status}"


class SimulatorSubmission(models.Model):
    """What the simulator accepted: one row per client reference it was handed.

    Like an idempotent provider, it acknowledges a resubmitted reference with the
    id it gave the first time and records nothing new; `simulator_report` counts
    these rows, so a number messaged twice shows up as a duplicate.
    """

    client_ref = models.UUIDField(unique=True)
    provider_id = models.CharField(max_length=40, unique=True)
    phone = models.CharField(max_length=16)
    campaign_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    parts = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=12, choices=MessageStatus.choices)
    report_due_at = models.DateTimeField()
    reported_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["report_due_at"],
                condition=Q(reported_at__isnull=True),
                name="simulator_report_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} → {self.outcome}"


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


class FallbackDraft(models.Model):
    """The SMS a recipient of an RCS/WhatsApp campaign gets if theirs cannot be delivered.

    Rendered and priced with the campaign's own messages (the same personalization
    and price list as the quote's worst case), so that falling back is one
    `INSERT ... SELECT` in the transaction that records the failure, whatever the
    text. A draft becomes a `Message` at most once; drafts are discarded when the
    campaign stops or completes, after which nothing falls back.
    """

    # Indexed by the unique constraint, which leads with it.
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    phone = models.CharField(max_length=16)
    sender = models.CharField(max_length=15, blank=True)
    text = models.TextField()
    parts = models.PositiveSmallIntegerField(default=1)
    encoding = models.CharField(max_length=8, blank=True)
    unit_price = money_field()
    price = money_field()
    gateway = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "phone"], name="one_fallback_per_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:30]}"
