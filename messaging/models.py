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
# Final and not delivered: what the live page lists by reason.
FAILURES = frozenset(
    {
        MessageStatus.UNDELIVERED,
        MessageStatus.EXPIRED,
        MessageStatus.REJECTED,
        MessageStatus.FAILED,
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
# Their price is, or will be, paid: the route took them, or they still wait.
CHARGEABLE = SUBMITTED | {MessageStatus.QUEUED}


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
    # No foreign-key constraints in the database on the three references below
    # (Django still cascades deletions): PostgreSQL checks one row at a time, and
    # at a million messages the checks took 11 s of a campaign's 29 s creation.
    # The product never deletes a campaign (DELETE cancels it) nor an account;
    # a deletion in admin goes through Django's collector, messages first.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="messages",
        db_constraint=False,
    )
    # Null for a single (transactional or test) send; a campaign's messages are
    # deleted with it.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        db_constraint=False,
        # `message_status` (campaign, status, id) serves every campaign lookup;
        # each index more is one more write per status change of every message.
        db_index=False,
    )
    # A test send of a campaign (not part of it: no unique number, no tallies).
    test_of = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="test_messages",
        db_constraint=False,
        db_index=False,  # see `message_test_of`: only test sends are indexed
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
    # Channel content beyond the text, as the route needs it (a WhatsApp
    # template with this recipient's parameters): `OutgoingMessage.payload`.
    # NULL for plain messages (every SMS), which costs them nothing to store.
    payload = models.JSONField(_("channel content"), null=True, blank=True)
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
    # The recipient's IANA zone (`messaging.zones`), for send windows; its
    # original operator and whether it is in the canary slice.
    tz = models.CharField(_("time zone"), max_length=40, blank=True, default="")
    carrier = models.CharField(_("operator"), max_length=40, blank=True, default="")
    canary = models.BooleanField(_("canary"), default=False)

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
                fields=["test_of"],
                condition=Q(test_of__isnull=False),
                name="message_test_of",
            ),
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
            # Single and test sends, for the dashboard's figures of the month.
            models.Index(
                fields=["account", "submitted_at"],
                condition=Q(campaign__isnull=True),
                name="message_single_sent",
            ),
            # RCS/WhatsApp messages that may still need their SMS fallback.
            models.Index(
                fields=["campaign", "submitted_at"],
                condition=Q(status="SUBMITTED", fallback_at__isnull=True)
                & ~Q(channel="SMS"),
                name="message_awaiting_fallback",
            ),
            # A canary's slice is read on every tick: a few hundred rows.
            models.Index(
                fields=["campaign", "status"],
                condition=Q(canary=True),
                name="message_canary",
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


class FailureTally(models.Model):
    """How many of a campaign's messages failed with each status, code and reason.

    Moved by the transactions that fail messages, so the live page's failures by
    reason read a few rows; grouping the failed messages instead reads every one
    of them at each refresh, and a route that fails outright fails them all.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    error_code = models.CharField(max_length=40, blank=True)
    error_reason = models.CharField(max_length=300, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "status", "error_code", "error_reason"],
                name="one_failure_tally_per_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.error_code}: {self.count}"


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

    # The route key it came through (`simulator`, or a simulator route's `r<pk>`):
    # its reports go back to that route's callback.
    gateway = models.CharField(max_length=40, default="simulator")
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


ROUTE_KEY_PREFIX = "r"


class Route(models.Model):
    """One of an account's ways out to a provider: a gateway of some `kind`.

    `settings` holds the non-secret settings as the adapter's `Settings` model
    takes them (camelCase); the secret ones are in `secrets_token`, one Fernet
    token of a JSON object (`messaging.encryption`), with the last four
    characters of each in `secret_hints` so a user can tell which key is set.
    Messages, reports, rate limits and callbacks name a route by `key` (`r<pk>`);
    an account without a route for a channel sends through the built-in
    simulator. `demoted_until` is set by failover after repeated errors.
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="routes"
    )
    kind = models.CharField(_("kind"), max_length=30)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    name = models.CharField(_("name"), max_length=100)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    secrets_token = models.TextField(editable=False, blank=True, default="")
    secret_hints = models.JSONField(editable=False, default=dict, blank=True)
    rate_limit = models.FloatField(
        _("rate limit"),
        default=0,
        help_text=_("SMS parts per second; 0 follows GATEWAY_RATE_LIMIT(S)."),
    )
    is_default = models.BooleanField(_("default"), default=False)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=10,
        help_text=_("Lower goes first when the default route is demoted."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    demoted_until = models.DateTimeField(_("demoted until"), null=True, blank=True)
    # Failed batches in the current window, when no Redis counts them
    # (`messaging.failover`).
    error_count = models.PositiveIntegerField(default=0, editable=False)
    errors_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("channel route")
        verbose_name_plural = _("channel routes")
        ordering = ["channel", "-is_default", "priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "channel"],
                condition=Q(is_default=True),
                name="one_default_route_per_channel",
                violation_error_message=_(
                    "The account already has a default route for this channel."
                ),
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="route_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(rate_limit__gte=0), name="route_rate_limit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.channel})"

    @property
    def key(self) -> str:
        """The name messages and callbacks use for this route."""
        return f"{ROUTE_KEY_PREFIX}{self.pk}"


class InboundMessage(models.Model):
    """A message a recipient sent to one of the account's routes (a reply, a STOP).

    `keyword` is the opt-out or opt-in keyword the whole message matched, if
    any (`messaging.inbound`); `provider_id` makes a redelivered webhook a no-op.
    """

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="inbound_messages"
    )
    gateway = models.CharField(_("route"), max_length=40)
    phone = models.CharField(_("from (E.164)"), max_length=16)
    to = models.CharField(_("to"), max_length=20, blank=True)
    text = models.TextField(_("text"))
    provider_id = models.CharField(_("provider's id"), max_length=100, blank=True)
    keyword = models.CharField(_("keyword"), max_length=12, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="inbound_by_account"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "provider_id"],
                condition=~Q(provider_id=""),
                name="one_inbound_per_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:40]}"


class RouteTally(models.Model):
    """How many of a campaign's messages each route was handed (accepted or not).

    One row per campaign and route, moved once per submitted batch, so the
    campaign's statistics show the split after a failover without reading its
    messages.
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="route_tallies"
    )
    gateway = models.CharField(max_length=40)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "gateway"], name="one_route_tally_per_campaign"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}: {self.count}"


class WhatsAppTemplate(models.Model):
    """A message template of a WhatsApp Business account, as Meta last listed it.

    Synced per route (`whatsapp_templates.templates_sync`): every sync replaces
    the route's set. Only APPROVED ones can be picked for a campaign; the others
    are kept so the picker can say why a template is missing. `body` is the BODY
    component's text, with `variables` positional placeholders `{{1}}`..`{{n}}`.
    """

    APPROVED = "APPROVED"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="whatsapp_templates"
    )
    route_key = models.CharField(_("route"), max_length=40)
    name = models.CharField(_("name"), max_length=512)
    language = models.CharField(_("language"), max_length=15)
    category = models.CharField(_("category"), max_length=20, blank=True)
    # Meta's own status words (APPROVED, PENDING, REJECTED, PAUSED, DISABLED...):
    # not constrained to a list, as Meta adds new ones.
    status = models.CharField(_("status"), max_length=20)
    provider_id = models.CharField(_("Meta's id"), max_length=40, blank=True)
    components = models.JSONField(_("components"), default=list, blank=True)
    body = models.TextField(_("body text"), blank=True)
    variables = models.PositiveSmallIntegerField(_("variables"), default=0)
    synced_at = models.DateTimeField(_("synced"))

    class Meta:
        verbose_name = _("WhatsApp template")
        verbose_name_plural = _("WhatsApp templates")
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "route_key", "name", "language"],
                name="one_whatsapp_template_per_language",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "status", "name"], name="whatsapp_template_pick"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def is_selectable(self) -> bool:
        return self.status == self.APPROVED

    @property
    def reference(self) -> str:
        """How a campaign's `templateId` names it: `name:language`."""
        return f"{self.name}:{self.language}"


class WebhookEventType(models.TextChoices):
    MESSAGE_STATUS = "message.status", _("Message status")
    CAMPAIGN_STATUS = "campaign.status", _("Campaign status")
    # Accepted in subscriptions now; sent once link tracking exists.
    MESSAGE_CLICKED = "message.clicked", _("Link clicked")


class WebhookEndpoint(models.Model):
    """Where an account wants its events POSTed, signed with its own secret.

    The secret is shown once, when the endpoint is made, and kept encrypted
    (`messaging.webhooks.webhook_fernet`): it must be read back to sign, so it
    cannot be a hash like an API key. `batch_size` 1 sends each event as its own
    POST; more puts up to that many in one `batch` envelope.
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    batch_size = models.PositiveSmallIntegerField(_("events per POST"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-id"]
        indexes = [
            # Every status change asks "does this account listen?": one probe.
            models.Index(
                fields=["account"], condition=Q(is_active=True), name="webhook_active"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(batch_size__gte=1, batch_size__lte=100),
                name="webhook_batch_size_range",
            ),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SENDING = "SENDING", _("Sending")
    SUCCEEDED = "SUCCEEDED", _("Delivered")
    FAILED = "FAILED", _("Failed")


class WebhookDelivery(models.Model):
    """One POST of one or more events to one endpoint, tried until it succeeds.

    `next_attempt_at` is the retry time of a PENDING delivery and the lease of a
    SENDING one: a worker takes it by moving it to SENDING a minute ahead, so no
    other worker takes it meanwhile, and a worker that dies only delays it (the
    lease runs out and it is due again). The last attempt's answer is kept.
    """

    Status = WebhookDeliveryStatus

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    event_count = models.PositiveSmallIntegerField(_("events"), default=0)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Retries stop (FAILED) once an attempt fails this long after it (24 h).
    retry_from = models.DateTimeField()
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(
        _("response code"), null=True, blank=True
    )
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                condition=Q(status__in=["PENDING", "SENDING"]),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} #{self.pk} {self.status}"


class WebhookEvent(models.Model):
    """An outbox row: one change one endpoint must hear about.

    Written in the transaction that makes the change (set-based, `INSERT ...
    SELECT`), so an event exists exactly when its change committed. It keeps its
    own copy of what it reports, not a link to the message: the payload of a
    retry is the payload of the first attempt.
    """

    id = models.BigAutoField(primary_key=True)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="outbox"
    )
    # Pruning a delivery from the log takes its events with it.
    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    type = models.CharField(max_length=20, choices=WebhookEventType.choices)
    message_id = models.BigIntegerField(null=True, blank=True)
    campaign_id = models.BigIntegerField(null=True, blank=True)
    phone = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    client_ref = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=20)
    previous_status = models.CharField(max_length=20, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["endpoint", "id"],
                condition=Q(delivery__isnull=True),
                name="webhook_event_unbatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.status}"


class IdempotencyKey(models.Model):
    """A transactional send's `Idempotency-Key`: a retry gets the first answer.

    Unique per account and key, so two concurrent requests with one key cannot
    both send: the second waits on the index and then finds the first. Kept
    24 hours (`messaging.single.IDEMPOTENCY_TTL`).
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key"], name="one_idempotency_key_per_account"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_age")]

    def __str__(self) -> str:
        return self.key


class LinkKind(models.TextChoices):
    URL = "url", _("Tracked link")
    OPTOUT = "optout", _("Opt-out link")


class TrackedLink(models.Model):
    """One recipient's short link: a URL of the text, or their opt-out page.

    Keyed to its message by our reference (`Message.client_ref`), so the links
    of a campaign are inserted in the same stream as its messages, before the
    messages have ids. `code` is random (`messaging.links`); the first click and
    the count are kept, so a recipient clicking twice is one unique click.
    """

    Kind = LinkKind

    code = models.CharField(max_length=24, unique=True)
    message_ref = models.UUIDField(db_index=True)
    campaign_id = models.BigIntegerField(null=True, blank=True)
    account_id = models.BigIntegerField()
    kind = models.CharField(max_length=8, choices=LinkKind.choices)
    url = models.TextField(blank=True)
    clicks = models.PositiveIntegerField(default=0)
    first_clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["campaign_id", "kind"], name="link_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.url or self.kind}"


class LinkTally(models.Model):
    """A campaign's link figures, moved by each click: statistics read one row.

    Counting them from the links instead reads one row per recipient, at every
    refresh of a live page (a million-recipient campaign has a million links).
    """

    campaign_id = models.BigIntegerField(unique=True)
    clicks = models.BigIntegerField(default=0)
    # Recipients who clicked any of their tracked links.
    unique_clicks = models.BigIntegerField(default=0)
    optouts = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"campaign {self.campaign_id}: {self.clicks} clicks"


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
